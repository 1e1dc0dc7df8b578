// A tiny STUN server for the simulator's tests, on 127.0.0.1, built on @acs/stun: it answers Binding
// Requests with the observed (or a chosen) mapped address, can demand MESSAGE-INTEGRITY with 401s,
// and records every request it saw.
import { createSocket, type Socket } from 'node:dgram';
import { decodeStunMessage, encodeBindingError, encodeBindingResponse, verifyMessageIntegrity, type StunDatagram, type TransportAddress } from '@acs/stun';
import { waitFor } from './wait-for.js';

export interface ReceivedRequest {
  message: StunDatagram;
  raw: Buffer;
  from: TransportAddress;
  at: number;
  /** Which integrity variant verified under the responder's password, if any. */
  integrity: 'rfc3489' | 'rfc5389' | null;
}

export interface StunResponder {
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Demand integrity keyed with this password (401 without it or when it does not verify). */
  requirePassword: string | undefined;
  /** The MAPPED-ADDRESS to report (default: the observed source), e.g. a NAT's public side. */
  mapTo: ((from: TransportAddress) => TransportAddress) | undefined;
  /** Drop this many requests before answering (retransmission tests). */
  drop: number;
  /** Sends a datagram from the responder's socket, as an ACS sharing the STUN socket does (cwmp-protocol.md §8.3). */
  send(datagram: Buffer, to: TransportAddress): Promise<void>;
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startStunResponder(): Promise<StunResponder> {
  const socket: Socket = createSocket('udp4');
  const responder: StunResponder = {
    port: 0,
    requests: [],
    requirePassword: undefined,
    mapTo: undefined,
    drop: 0,
    send: (datagram, to) => new Promise((resolve, reject) => socket.send(datagram, to.port, to.address, (e) => (e ? reject(e) : resolve()))),
    async waitForRequests(count, timeoutMs = 5_000) {
      await waitFor(() => responder.requests.length >= count, timeoutMs, () => `${count} Binding Requests (got ${responder.requests.length})`);
      return responder.requests;
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (raw, rinfo) => {
    const message = decodeStunMessage(raw);
    if (!message || message.kind !== 'binding-request') return;
    const from = { address: rinfo.address, port: rinfo.port };
    const password = responder.requirePassword;
    const integrity = password === undefined ? null : verifyMessageIntegrity(raw, password);
    responder.requests.push({ message, raw, from, at: Date.now(), integrity });
    if (responder.drop > 0) {
      responder.drop--;
      return;
    }
    const answer =
      password !== undefined && integrity === null
        ? encodeBindingError(message, 401, 'Unauthorized')
        : encodeBindingResponse(message, responder.mapTo?.(from) ?? from);
    socket.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  (responder as { port: number }).port = socket.address().port;
  return responder;
}
