import type { Socket } from 'node:dgram';
import { setTimeout as delay } from 'node:timers/promises';
import { BusTimeoutError, NoRespondersError, type Bus, type ServiceEndpoint } from '@acs/bus';
import { decodePayload, parseStunRelayReply, parseStunRelayRequest, type Subjects } from '@acs/contracts';

export interface Datagram {
  readonly host: string;
  readonly port: number;
  readonly datagram: Buffer;
  readonly copies: number;
  readonly intervalMs: number;
}

export interface Relay {
  /**
   * Sends from the STUN socket of `replica` (ours when undefined or when it is us). A replica that does not answer
   * (gone, or its binding records outlived it) does not stop the request: it leaves from our socket, with a note.
   * `enough` aborted stops the copies not yet sent (the CPE already answered with its session).
   */
  send(replica: string | undefined, datagram: Datagram, enough?: AbortSignal): Promise<{ via?: string; note?: string }>;
  /** The endpoint other replicas send through: `stun.relay.<this replica>`. */
  readonly endpoint: ServiceEndpoint;
}

export interface RelayOptions {
  readonly socket: Pick<Socket, 'send'>;
  readonly bus: Pick<Bus, 'request'>;
  readonly subjects: Subjects;
  readonly replica: string;
  readonly timeoutMs: number;
}

/** Restricted NATs pass only datagrams from where the keep-alives went: the replica holding the binding sends. */
export function createRelay(options: RelayOptions): Relay {
  const { socket, bus, subjects, replica } = options;

  async function sendLocal(d: Datagram, enough?: AbortSignal): Promise<number> {
    let sent = 0;
    for (let i = 0; i < d.copies; i++) {
      if (i > 0 && d.intervalMs > 0) await delay(d.intervalMs, undefined, enough ? { signal: enough } : {}).catch(() => undefined);
      if (enough?.aborted) break;
      await new Promise<void>((resolve, reject) => socket.send(d.datagram, d.port, d.host, (err) => (err ? reject(err) : resolve())));
      sent++;
    }
    return sent;
  }

  return {
    async send(owner, d, enough) {
      if (owner === undefined || owner === replica) {
        await sendLocal(d, enough);
        return {};
      }
      const payload = { host: d.host, port: d.port, datagram: d.datagram.toString('base64'), copies: d.copies, intervalMs: d.intervalMs };
      try {
        const reply = await bus.request(subjects.stun.relay(owner), payload, { timeoutMs: options.timeoutMs + d.copies * d.intervalMs });
        const parsed = decodePayload(reply.data, parseStunRelayReply);
        if (parsed.ok) return { via: owner };
        await sendLocal(d);
        return { note: `replica ${owner} refused the relay` };
      } catch (err) {
        if (!(err instanceof NoRespondersError || err instanceof BusTimeoutError)) throw err;
        await sendLocal(d);
        return { note: `replica ${owner} holding the binding did not answer (${err.message})` };
      }
    },
    endpoint: {
      name: 'relay',
      subject: subjects.stun.relay(replica),
      async handler(msg) {
        const request = decodePayload(msg.data, parseStunRelayRequest);
        if (!request.ok) return { ok: false, error: { code: 'INVALID_PAYLOAD', message: request.error.message } };
        const { datagram, ...rest } = request.value;
        return { sent: await sendLocal({ ...rest, datagram: Buffer.from(datagram, 'base64') }) };
      },
    },
  };
}
