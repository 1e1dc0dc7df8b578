import type { Bus, ServiceHandle } from '@acs/bus';
import { createConnreqWorker, type ConnreqWorker } from '@acs/connreq-worker';
import { parseConnreqXmppCommand, type Subjects } from '@acs/contracts';
import type { Logger, Metrics } from '@acs/telemetry';
import { serveAccountEndpoints } from './account-endpoints.js';
import { createXmppAccounts } from './accounts.js';
import { createConnectionRequestIq } from './connection-request-iq.js';
import { createXmppSession, type XmppSession, type XmppSessionOptions, type XmppSessionState } from './xmpp-session.js';

export interface ConnreqXmppDeps {
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export interface ConnreqXmppSettings {
  /** The ACS's own session: server, domain, account, this replica's resource, CA, back-off. */
  readonly xmpp: Omit<XmppSessionOptions, 'logger'>;
  /** Longest wait for a CPE's answer (CONNREQ_XMPP_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** After the session came back from an outage, offline CPEs are retried this long (default 30 s). */
  readonly reconnectGraceMs?: number;
  readonly worker: {
    readonly concurrency: number;
    readonly minIntervalPerDeviceMs: number;
    readonly retry: { readonly baseMs: number; readonly maxMs: number };
    readonly ackWaitMs?: number;
    readonly maxDeliver?: number;
  };
  /** What CPEs are told to connect to in the account endpoints' replies. */
  readonly cpe: { readonly server: { readonly address: string; readonly port: number }; readonly useTLS: boolean };
  /** Per admin IQ round trip of the account endpoints (default 10 s). */
  readonly accountTimeoutMs?: number;
}

/** What `/readyz` reports. Ready: the XMPP session is online and the bus consumer runs. */
export interface ConnreqXmppReadiness {
  readonly ready: boolean;
  readonly xmpp: XmppSessionState;
  readonly consumer: 'running' | 'stopped';
}

export interface ConnreqXmppService {
  /** Starts the session (without waiting for it to be online), the account endpoints and the consumer. */
  start(): Promise<void>;
  /** Stops the endpoints and the consumer, lets the requests on the wire end, then closes the session. */
  stop(): Promise<void>;
  ready(): ConnreqXmppReadiness;
  readonly session: XmppSession;
}

/**
 * The XMPP connection-request service: one XMPP session per replica, shared by the connreq worker core (consuming
 * `cmd.connreq.xmpp`, the act being the Annex K IQ) and by the account endpoints (XEP-0133 on the same session).
 */
export function createConnreqXmppService(deps: ConnreqXmppDeps, settings: ConnreqXmppSettings): ConnreqXmppService {
  const { bus, subjects, logger } = deps;
  const session = createXmppSession({ ...settings.xmpp, logger });
  const accounts = createXmppAccounts({ session, domain: settings.xmpp.domain, timeoutMs: settings.accountTimeoutMs ?? 10_000 });
  const worker: ConnreqWorker = createConnreqWorker({
    transport: 'xmpp',
    parse: parseConnreqXmppCommand,
    perform: createConnectionRequestIq({
      session,
      timeoutMs: settings.timeoutMs,
      ...(settings.reconnectGraceMs === undefined ? {} : { reconnectGraceMs: settings.reconnectGraceMs }),
    }),
    bus,
    subjects,
    logger,
    ...settings.worker,
    tryTimeoutMs: settings.timeoutMs,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    // Last in the worker's stop, once no connection request is in flight any more.
    onStop: () => session.stop(),
  });
  let endpoints: ServiceHandle | undefined;
  let consuming = false;
  let state: 'new' | 'started' | 'stopped' = 'new';

  return {
    session,
    async start() {
      if (state !== 'new') return;
      state = 'started';
      session.start();
      endpoints = await serveAccountEndpoints({
        bus,
        subjects,
        accounts,
        logger,
        ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
        cpe: { domain: settings.xmpp.domain, ...settings.cpe, allowedJids: [session.bareJid] },
      });
      await worker.start();
      consuming = true;
    },
    async stop() {
      if (state === 'stopped') return;
      const wasStarted = state === 'started';
      state = 'stopped';
      consuming = false;
      await endpoints?.stop();
      if (wasStarted) await worker.stop();
      else await session.stop();
    },
    ready() {
      const consumer = consuming ? 'running' : 'stopped';
      return { ready: session.state === 'online' && consuming, xmpp: session.state, consumer };
    },
  };
}
