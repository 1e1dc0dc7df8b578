import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodeStunMessage, encodeBindingRequest, type BindingRequestOptions, type StunDatagram } from '@acs/stun';

export interface Received {
  readonly message: Buffer;
  readonly from: RemoteInfo;
}

/** A UDP socket on 127.0.0.1 playing a CPE: sends Binding Requests, collects what arrives. */
export interface UdpPeer {
  readonly port: number;
  readonly received: Received[];
  /** Sends a Binding Request to `server` and resolves with the matching answer (bounded by `timeoutMs`). */
  bind(server: { port: number }, options?: BindingRequestOptions, timeoutMs?: number): Promise<StunDatagram>;
  /** Sends raw bytes to 127.0.0.1:`port`. */
  sendRaw(bytes: Buffer, port: number): Promise<void>;
  /** Resolves once `count` datagrams that are not STUN have arrived (bounded). */
  nonStun(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function openUdpPeer(): Promise<UdpPeer> {
  const socket: Socket = createSocket('udp4');
  const received: Received[] = [];
  const listeners = new Set<() => void>();
  socket.on('message', (message, from) => {
    received.push({ message, from });
    for (const l of listeners) l();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const until = <T>(test: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const value = test();
        if (value === undefined) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const nonStun = () => received.filter((r) => decodeStunMessage(r.message) === null);
  return {
    port: socket.address().port,
    received,
    async bind(server, options = {}, timeoutMs = 2_000) {
      const request = encodeBindingRequest(options);
      const id = request.subarray(4, 20);
      socket.send(request, server.port, '127.0.0.1');
      return until(
        () => received.map((r) => decodeStunMessage(r.message)).find((m): m is StunDatagram => m !== null && m.kind !== 'binding-request' && m.transactionId.equals(id)),
        timeoutMs,
        'a STUN answer',
      );
    },
    sendRaw: (bytes, port) => new Promise((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))),
    nonStun: (count, timeoutMs = 3_000) => until(() => (nonStun().length >= count ? nonStun() : undefined), timeoutMs, `${count} UDP connection request(s)`),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
