import type { Perform, PerformResult } from '@acs/connreq-worker';
import type { ConnreqUdpCommand } from '@acs/contracts';
import { encodeUdpConnectionRequest, newUdpConnectionRequestFields } from '@acs/stun';
import type { BindingStore } from './binding-store.js';
import type { Relay } from './relay.js';
import type { SessionWaiter } from './session-waiter.js';

export interface UdpConnectionRequestOptions {
  readonly bindings: Pick<BindingStore, 'get'>;
  readonly relay: Relay;
  readonly waiter: SessionWaiter;
  /** Identical copies of each datagram (UDP is lossy; GenieACS sends 3) and the gap between them. */
  readonly copies: number;
  readonly intervalMs: number;
  /** Longest wait for the session; then `timeout`, and the router's next transport gets the rest of the deadline. */
  readonly sessionWaitMs: number;
  /** An address the registry had confirmed longer ago than this, with no live binding, is not tried. */
  readonly addressMaxAgeMs: number;
  readonly now?: () => number;
}

/** Devices whose last ts is remembered: more than are poked within any one second. */
const LAST_TS_ENTRIES = 100_000;

interface Target {
  readonly host: string;
  readonly port: number;
  /** The replica holding the binding; `undefined`: ours (the address came with the command). */
  readonly replica?: string;
  readonly source: 'binding' | 'inform';
}

function targetOf(command: ConnreqUdpCommand, binding: Awaited<ReturnType<BindingStore['get']>>, now: number, maxAgeMs: number): Target | string {
  const seenAt = command.addressSeenAt === undefined ? undefined : Date.parse(command.addressSeenAt);
  const reportedIsNewer = seenAt !== undefined && binding !== null && seenAt > binding.lastSeenAt && (command.host !== binding.host || command.port !== binding.port);
  if (binding !== null && !reportedIsNewer) return { host: binding.host, port: binding.port, replica: binding.replica, source: 'binding' };
  if (seenAt !== undefined && now - seenAt <= maxAgeMs) return { host: command.host, port: command.port, source: 'inform' };
  return `no_route: no live STUN binding, and UDPConnectionRequestAddress ${command.host}:${command.port} was ${seenAt === undefined ? 'never confirmed' : `last confirmed ${Math.round((now - seenAt) / 1000)} s ago`}`;
}

/**
 * The UDP transport's act (Annex G): the signed datagram, several copies, from the STUN socket that holds the
 * CPE's binding (through the replica that learnt it), then waiting for the CPE's `6 CONNECTION REQUEST` session.
 * UDP has no answer, so that session is the outcome: `accepted`, else `timeout`. A timeout is not retried (the
 * copies already cover loss, and the CPE may be opening its session): the router's next transport gets the time left.
 */
export function createUdpConnectionRequest(options: UdpConnectionRequestOptions): Perform<ConnreqUdpCommand> {
  const now = options.now ?? Date.now;
  // A CPE accepts a new request only with a ts newer than the last it accepted (icwmp's replay rule), so two
  // pokes to one device within a second would lose the second: ts is kept strictly increasing per device.
  const lastTs = new Map<string, number>();
  const nextFields = (deviceId: string, username: string, at: number) => {
    const fields = newUdpConnectionRequestFields(username, at);
    const ts = Math.max(fields.ts, (lastTs.get(deviceId) ?? 0) + 1);
    lastTs.delete(deviceId);
    lastTs.set(deviceId, ts);
    if (lastTs.size > LAST_TS_ENTRIES) lastTs.delete(lastTs.keys().next().value!);
    return { ...fields, ts };
  };
  return async (command, { signal, deadline, log }): Promise<PerformResult> => {
    const target = targetOf(command, await options.bindings.get(command.deviceId), now(), options.addressMaxAgeMs);
    // No fallback-worthy failure is hidden here: the router's next transport (HTTP) is tried after this one.
    if (typeof target === 'string') return { outcome: 'unreachable', detail: target, retryable: false };
    const sentAt = now();
    const fields = nextFields(command.deviceId, command.credentials.username, sentAt);
    const datagram = encodeUdpConnectionRequest(target, fields, command.credentials.password);
    const waitSignal = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, Math.min(options.sessionWaitMs, deadline - sentAt)))]);
    // Waiting starts before the first copy leaves: a fast CPE's session must not be missed.
    const enough = new AbortController();
    const started = options.waiter.waitFor(command.deviceId, sentAt, waitSignal).then((ok) => {
      enough.abort();
      return ok ? now() : null;
    });
    const sent = await options.relay.send(target.replica, { host: target.host, port: target.port, datagram, copies: options.copies, intervalMs: options.intervalMs }, enough.signal);
    if (sent.note !== undefined) log.warn({ replica: target.replica, note: sent.note }, 'UDP connection request sent from this replica instead');
    const to = `${target.host}:${target.port} (${target.source}${sent.via === undefined ? '' : ` via ${sent.via}`})`;
    const startedAt = await started;
    if (startedAt !== null) return { outcome: 'accepted', detail: `session started ${startedAt - sentAt} ms after the request to ${to}` };
    return { outcome: 'timeout', detail: `no 6 CONNECTION REQUEST session within ${now() - sentAt} ms of ${options.copies} datagram(s) to ${to}`, retryable: false };
  };
}
