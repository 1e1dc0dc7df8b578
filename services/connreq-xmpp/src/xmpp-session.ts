import { Socket } from 'node:net';
import type { Logger } from '@acs/telemetry';
import xml, { type Element } from '@xmpp/xml';
import { createXmppClient, type XmppClient, type XmppClientOptions } from './xmpp-client.js';
import { XmppSessionDownError, XmppStanzaError, XmppTimeoutError } from './xmpp-errors.js';

/** `connecting`: an attempt is under way; `online`: authenticated and bound; `offline`: not started, stopped, or between attempts. */
export type XmppSessionState = 'connecting' | 'online' | 'offline';

export interface XmppSessionOptions extends Omit<XmppClientOptions, 'streamTimeoutMs'> {
  readonly logger: Logger;
  /** Wait before reconnect attempt n: `baseMs` · 2^(n-1), at most `maxMs`, jittered. */
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number };
  /** An attempt not online by then (TCP, TLS, SASL, bind) is abandoned and retried. */
  readonly loginTimeoutMs?: number;
  /** Ping the server this often while online; no answer within the same time counts as a lost connection. 0: never. */
  readonly keepaliveMs?: number;
}

export interface IqRequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface XmppSession {
  readonly state: XmppSessionState;
  /** The ACS's bare JID (`username@domain`), what CPEs put into ConnReqAllowedJabberIDs. */
  readonly bareJid: string;
  /** The full JID bound by the server while online. */
  readonly jid: string | undefined;
  /** The service URI, for messages. */
  readonly server: string;
  /** When the session last came back online after having lost an earlier connection (epoch ms); none: never. */
  readonly reconnectedAt: number | undefined;
  /** Connects, and keeps reconnecting after every disconnect until `stop()`. */
  start(): void;
  stop(): Promise<void>;
  /** Resolves once the session is online (at once if it is); rejects when `signal` aborts or the session stops. */
  online(signal?: AbortSignal): Promise<void>;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: XmppSessionState) => void): () => void;
  /**
   * Sends an IQ (`get`/`set`) and resolves with the `result` IQ. Rejects with `XmppStanzaError` for an `error` IQ,
   * `XmppTimeoutError`, `XmppSessionDownError` (not online, or the connection dropped while waiting), or the
   * signal's reason.
   */
  request(iq: Element, options: IqRequestOptions): Promise<Element>;
}

const DEFAULT_RECONNECT = { baseMs: 500, maxMs: 30_000 };
const STREAM_TIMEOUT_MS = 5_000;

/** The underlying socket of the plain or the TLS transport, to destroy what a graceful close leaves behind. */
function rawSocket(client: XmppClient): Socket | undefined {
  const s = client.socket as (Socket & { socket?: undefined }) | { socket?: Socket | null } | null;
  if (s instanceof Socket) return s;
  return s?.socket ?? undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

/**
 * One long-lived, authenticated XMPP session as the ACS's JID. Every connection attempt gets a fresh client, so a
 * half-failed attempt leaves no state behind; attempts are spaced by a capped, jittered back-off.
 */
export function createXmppSession(options: XmppSessionOptions): XmppSession {
  const { logger } = options;
  const backoff = options.reconnect ?? DEFAULT_RECONNECT;
  const loginTimeoutMs = options.loginTimeoutMs ?? 20_000;
  const keepaliveMs = options.keepaliveMs ?? 30_000;
  const bareJid = `${options.username}@${options.domain}`;
  const server = options.endpoint.service;
  const log = logger.child({ xmppServer: server, jid: bareJid });
  const listeners = new Set<(state: XmppSessionState) => void>();
  // Rejecters of the requests waiting on the current connection: they end at once when it drops.
  const waiting = new Set<(err: Error) => void>();
  const onlineWaiters = new Set<{ resolve(): void; reject(err: unknown): void }>();
  let state: XmppSessionState = 'offline';
  let current: XmppClient | undefined;
  let started = false;
  let stopped = false;
  let failures = 0;
  let lastProblem: string | undefined;
  let everOnline = false;
  let reconnectedAt: number | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let keepaliveTimer: NodeJS.Timeout | undefined;

  function setState(next: XmppSessionState, level: 'info' | 'warn' | 'debug', fields: Record<string, unknown> = {}): void {
    if (state === next) return;
    state = next;
    log[level]({ state: next, ...fields }, `XMPP session ${next}`);
    for (const listener of listeners) listener(next);
    if (next === 'online') for (const waiter of onlineWaiters) waiter.resolve();
  }

  /** Closes our stream (the server then drops the resource at once) unless the socket is gone, then the socket. */
  async function close(client: XmppClient, graceful: boolean): Promise<void> {
    client.removeAllListeners();
    // Errors of a connection being given up are of no interest; EventEmitter would throw them without a listener.
    client.on('error', () => undefined);
    const socket = rawSocket(client);
    if (graceful && socket !== undefined && !socket.destroyed) {
      // @xmpp waits out its timeouts for a 'close' it already missed; the socket's own event ends that wait.
      const gone = new Promise((resolve) => socket.once('close', resolve));
      await Promise.race([client.disconnect().catch(() => undefined), gone]);
    }
    socket?.destroy();
  }

  function scheduleAttempt(): void {
    if (stopped) return;
    const cap = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
    // Equal jitter: replicas that lost the same server do not all come back in the same instant.
    const wait = cap / 2 + Math.random() * (cap / 2);
    retryTimer = setTimeout(() => void attempt(), wait);
  }

  function lost(client: XmppClient, reason: string): void {
    if (current !== client) return;
    current = undefined;
    clearInterval(keepaliveTimer);
    const down = new XmppSessionDownError(`XMPP session to ${server} went down (${reason})`);
    for (const fail of waiting) fail(down);
    const wasOnline = state === 'online';
    void close(client, true);
    failures += 1;
    const changed = reason !== lastProblem;
    lastProblem = reason;
    // A dead server makes every attempt flap connecting/offline: the first failure, and a new reason, are warnings.
    setState('offline', wasOnline || changed ? 'warn' : 'debug', { reason, failures });
    scheduleAttempt();
  }

  async function attempt(): Promise<void> {
    if (stopped) return;
    const client = createXmppClient({ ...options, streamTimeoutMs: STREAM_TIMEOUT_MS });
    current = client;
    let problem: unknown;
    client.on('error', (err: unknown) => {
      problem = err;
      if (current === client && state === 'online') log.warn({ err }, 'XMPP client error');
    });
    client.on('disconnect', () => lost(client, problem === undefined ? 'connection closed' : describe(problem)));
    setState('connecting', failures === 0 ? 'info' : 'debug', { attempt: failures + 1 });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.start(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not online within ${loginTimeoutMs} ms`)), loginTimeoutMs);
        }),
      ]);
    } catch (err) {
      lost(client, describe(err));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (current !== client) return;
    const downFor = failures;
    failures = 0;
    if (everOnline) reconnectedAt = Date.now();
    everOnline = true;
    lastProblem = undefined;
    setState('online', 'info', { boundJid: client.jid?.toString(), ...(downFor > 0 ? { failures: downFor } : {}) });
    if (keepaliveMs > 0) keepaliveTimer = setInterval(() => void keepalive(client), keepaliveMs);
  }

  // A connection can die without a FIN (NAT timeout, partition); only an unanswered ping tells.
  async function keepalive(client: XmppClient): Promise<void> {
    try {
      await session.request(xml('iq', { type: 'get', to: options.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), { timeoutMs: keepaliveMs });
    } catch (err) {
      // Any answer, even an error, proves the connection alive.
      if (err instanceof XmppTimeoutError) lost(client, 'no answer to a keepalive ping');
    }
  }

  const session: XmppSession = {
    get state() {
      return state;
    },
    bareJid,
    get jid() {
      return state === 'online' ? current?.jid?.toString() : undefined;
    },
    server,
    get reconnectedAt() {
      return reconnectedAt;
    },
    start() {
      if (started) return;
      started = true;
      void attempt();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(keepaliveTimer);
      const client = current;
      const wasOnline = state === 'online';
      current = undefined;
      const down = new XmppSessionDownError(`XMPP session to ${server} stopped`);
      for (const fail of waiting) fail(down);
      for (const waiter of onlineWaiters) waiter.reject(down);
      setState('offline', 'info', { reason: 'stopped' });
      // An attempt still under way has no stream worth closing.
      if (client !== undefined) await close(client, wasOnline);
    },
    online(signal) {
      if (state === 'online') return Promise.resolve();
      if (stopped) return Promise.reject(new XmppSessionDownError(`XMPP session to ${server} stopped`));
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const waiter = { resolve: () => settle(resolve), reject: (err: unknown) => settle(() => reject(err)) };
        const onAbort = () => waiter.reject(signal?.reason);
        const settle = (finish: () => void) => {
          onlineWaiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          finish();
        };
        onlineWaiters.add(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    request(iq, { timeoutMs, signal }) {
      const client = current;
      if (state !== 'online' || client === undefined) return Promise.reject(new XmppSessionDownError(`XMPP session to ${server} is down`));
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<Element>((resolve, reject) => {
        const settle = (finish: () => void) => {
          waiting.delete(fail);
          signal?.removeEventListener('abort', onAbort);
          finish();
        };
        const fail = (err: unknown) => settle(() => reject(err));
        const onAbort = () => fail(signal?.reason);
        waiting.add(fail);
        signal?.addEventListener('abort', onAbort, { once: true });
        const sent = client.iqCaller.request(iq, timeoutMs);
        // @xmpp/iq 0.14 rejects its reply promise unobserved when an error reply (Prosody's instant
        // service-unavailable) beats the write's completion: an unhandled rejection, fatal to the process.
        (client.iqCaller as unknown as { handlers: Map<string, { promise: Promise<unknown> }> }).handlers.get(iq.attrs.id ?? '')?.promise.catch(() => undefined);
        sent.then(
          (reply) => settle(() => resolve(reply)),
          (err: unknown) => fail(translate(err, timeoutMs, server)),
        );
      });
    },
  };
  return session;
}

function translate(err: unknown, timeoutMs: number, server: string): Error {
  const e = err as { name?: string; element?: Element } | null;
  if (e?.name === 'StanzaError') return XmppStanzaError.fromElement(e.element);
  if (e?.name === 'TimeoutError') return new XmppTimeoutError(timeoutMs);
  // Anything else is the write failing: the connection is going away under us.
  return new XmppSessionDownError(`XMPP session to ${server} failed to send: ${describe(err)}`, { cause: err });
}
