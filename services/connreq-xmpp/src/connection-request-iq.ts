import type { Perform, PerformResult } from '@acs/connreq-worker';
import type { ConnreqXmppCommand } from '@acs/contracts';
import xml, { type Element } from '@xmpp/xml';
import { XmppSessionDownError, XmppStanzaError, XmppTimeoutError } from './xmpp-errors.js';
import type { XmppSession } from './xmpp-session.js';

/** TR-069 Annex K, cwmp-xmppConnReq-1-0.xsd. */
export const CONNREQ_NS = 'urn:broadband-forum-org:cwmp:xmppConnReq-1-0';

export interface ConnectionRequestIqOptions {
  readonly session: XmppSession;
  /** Longest wait for the CPE's answer (CONNREQ_XMPP_TIMEOUT_MS); the deadline cuts it shorter. */
  readonly timeoutMs: number;
  /**
   * For this long after the session came back from an outage, an offline CPE is retried rather than reported: when
   * the server restarted, the CPEs are reconnecting too (default 30 s; the deadline bounds it).
   */
  readonly reconnectGraceMs?: number;
  readonly now?: () => number;
}

// Conditions by which the server (or the CPE) says the CPE cannot be reached at that JID: offline resource, unknown
// account, or no handler for the namespace (icwmp also answers service-unavailable to a JID it does not allow).
const UNREACHABLE = new Set(['service-unavailable', 'recipient-unavailable', 'item-not-found']);
// Loose on purpose: icwmp answers `not-autorized`.
const NOT_AUTHORIZED = /^not[-_]?auth?ori[sz]ed$/i;

/** The Annex K IQ: `get`, as every implementation sends it (cwmp-protocol §9.2); children in the xsd's order. */
export function connectionRequestStanza(jid: string, credentials: { username: string; password: string }): Element {
  return xml(
    'iq',
    { type: 'get', to: jid },
    xml('connectionRequest', { xmlns: CONNREQ_NS }, xml('username', {}, credentials.username), xml('password', {}, credentials.password)),
  );
}

function fromStanzaError(err: XmppStanzaError, cpesReconnecting: boolean): PerformResult {
  const detail = `XMPP ${err.condition}${err.type ? ` (${err.type})` : ''}${err.text ? `: ${err.text}` : ''}`;
  if (NOT_AUTHORIZED.test(err.condition)) return { outcome: 'auth_failed', detail, retryable: false };
  if (UNREACHABLE.has(err.condition)) {
    // In steady state the server answers at once for an offline CPE, and retrying within seconds would not find it.
    if (!cpesReconnecting) return { outcome: 'unreachable', detail, retryable: false };
    return { outcome: 'unreachable', detail: `${detail} (our XMPP session just came back: CPEs may still be reconnecting)`, retryable: true };
  }
  return { outcome: 'rejected', detail, retryable: false };
}

/**
 * The connreq core's `perform` for XMPP: one connectionRequest IQ to the command's JID over the shared session, the
 * answer mapped onto an outcome. Every CPE, server and session behaviour comes back as a value, never a throw.
 */
export function createConnectionRequestIq(options: ConnectionRequestIqOptions): Perform<ConnreqXmppCommand> {
  const { session } = options;
  const now = options.now ?? Date.now;
  const graceMs = options.reconnectGraceMs ?? 30_000;
  const cpesReconnecting = () => session.reconnectedAt !== undefined && now() - session.reconnectedAt < graceMs;
  return async function perform(command, { signal, deadline, log }) {
    if (session.state !== 'online') {
      // Retryable: the core tries again with back-off, so pokes sent while the server restarts are not lost.
      return { outcome: 'unreachable', retryable: true, detail: `XMPP session to ${session.server} is down` };
    }
    const timeoutMs = Math.min(options.timeoutMs, deadline - now());
    if (timeoutMs <= 0) return { outcome: 'timeout', detail: 'deadline passed before the request was sent', retryable: false };
    try {
      await session.request(connectionRequestStanza(command.jid, command.credentials), { timeoutMs, signal });
      return { outcome: 'accepted' };
    } catch (err) {
      // The core aborts the signal at the deadline only (never to stop): that is a timeout like our own.
      if (err instanceof XmppTimeoutError || signal.aborted) {
        // The CPE may have it and start a session anyway: not retried.
        return { outcome: 'timeout', detail: `no answer from ${command.jid} within ${timeoutMs} ms`, retryable: false };
      }
      if (err instanceof XmppStanzaError) return fromStanzaError(err, cpesReconnecting());
      if (err instanceof XmppSessionDownError) return { outcome: 'unreachable', retryable: true, detail: err.message };
      log.error({ err, jid: command.jid }, 'XMPP connection request failed unexpectedly');
      return { outcome: 'rejected', detail: `internal error: ${err instanceof Error ? err.message : String(err)}`, retryable: false };
    }
  };
}
