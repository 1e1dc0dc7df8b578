import type { ConnectionRequestBehaviour, ConnectionRequestCredentials, ConnectionRequestEndpoint } from './connection-request.js';
import { nowIso } from './iso-time.js';
import { isAllowedJabberId } from './jabber-id.js';
import type { LoginSlots } from './login-slots.js';
import type { DataModel, ParameterChange } from './model/data-model.js';
import { createRateLimit, type RateLimit } from './rate-limit.js';
import { stanzaError, type IqRoute } from './xmpp-client.js';
import { loginKey, readXmppConfig } from './xmpp-config.js';
import { keepLoggedIn, type KeptLogin, type XmppStatus } from './xmpp-login.js';

/** Namespace of the Annex K connectionRequest IQ payload. */
export const CONNREQ_NS = 'urn:broadband-forum-org:cwmp:xmppConnReq-1-0';

export type { XmppStatus } from './xmpp-login.js';

export interface XmppConnectionRequestOptions {
  /** The CPE's data model, read whenever the configuration may have changed. */
  model: () => DataModel;
  /** ConnectionRequestUsername/Password, read on every request. */
  credentials: () => ConnectionRequestCredentials;
  /** Called after an accepted request has been answered. */
  onRequest: () => void;
  /** Shared with the HTTP endpoint; a request inside its window gets `resource-constraint`. */
  rateLimit?: RateLimit;
  /** `normal`, `wrong-password` (always not-authorized), `busy` (always resource-constraint), `slow` (answers after `slowMs`), `unreachable` (never logs in). */
  behaviour?: ConnectionRequestBehaviour;
  slowMs?: number;
  /** PEM CA(s) trusted for the XMPP server's certificate. */
  ca?: string | Buffer;
  /** Length of one protocol second in ms (keep-alive and reconnection waits). Default 1000. */
  secondMs?: number;
  /** Bounds concurrent logins across a fleet. */
  loginSlots?: LoginSlots;
  /** Bound of one login and of each keep-alive ping, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Keep-alive period for KeepAliveInterval -1 ("vendor specific"), in protocol seconds. Default 300 (RFC 6120 §4.6.4). */
  defaultKeepAliveS?: number;
}

/** The Annex K endpoint: a logged-in XMPP client that answers connectionRequest IQs. */
export interface XmppConnectionRequestEndpoint extends ConnectionRequestEndpoint {
  readonly transport: 'xmpp';
  /** The bound full JID while logged in (what ConnReqJabberID publishes), else ''. */
  readonly url: string;
  readonly status: XmppStatus;
  /** Re-reads the configuration (needed after a FactoryReset, which announces no changes). */
  refresh(): void;
  onStatus(listener: (status: XmppStatus, jid: string) => void): () => void;
}

const DEFAULT_SLOW_MS = 5_000;

export function createXmppConnectionRequestEndpoint(opts: XmppConnectionRequestOptions): XmppConnectionRequestEndpoint {
  const behaviour = opts.behaviour ?? 'normal';
  const secondMs = opts.secondMs ?? 1_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const rateLimit = opts.rateLimit ?? createRateLimit();
  const listeners = new Set<(status: XmppStatus, jid: string) => void>();
  const slowTimers = new Set<NodeJS.Timeout>();
  let started = false;
  let unwatch: (() => void) | undefined;
  let current: KeptLogin | undefined;
  let closing: Promise<void> = Promise.resolve();
  let refreshQueued = false;
  // Bumped by every refresh that changes course, so a logout finishing late reports only if still current.
  let generation = 0;
  let status: XmppStatus = 'Disabled';
  let jid = '';

  const ms = (leaf: string) => `${opts.model().root}ManagementServer.${leaf}`;
  const set = (name: string, value: string) => {
    const model = opts.model();
    // Local changes: ConnReqJabberID's default active notification then opens a 4 VALUE CHANGE session.
    if (model.has(name) && model.getValue(name) !== value) model.setLocal(name, value);
  };

  /** Status (and, when given, the bound JID) of `connection` into the model and to listeners. */
  const publish = (connection: string, next: XmppStatus, bound?: { jid: string; tls: boolean }) => {
    if (opts.model().getValue(`${connection}Status`) !== next) {
      set(`${connection}Status`, next);
      set(`${connection}LastChangeDate`, nowIso());
    }
    if (bound) {
      set(`${connection}JabberID`, bound.jid);
      set(`${connection}TLSEstablished`, String(bound.tls));
      set(ms('ConnReqJabberID'), bound.jid);
      jid = bound.jid;
    }
    if (status === next && !bound) return;
    status = next;
    for (const l of listeners) l(status, jid);
  };

  const routes: IqRoute[] = [
    {
      xmlns: CONNREQ_NS,
      name: 'connectionRequest',
      async handle({ from, element }) {
        // Checked first, so a sender that is not allowed learns nothing about the credentials.
        if (!isAllowedJabberId(from, opts.model().getValue(ms('ConnReqAllowedJabberIDs')) ?? '')) return stanzaError('cancel', 'service-unavailable');
        const creds = opts.credentials();
        const password = behaviour === 'wrong-password' ? `${creds.password}-not` : creds.password;
        if ((element.getChildText('username') ?? '') !== creds.username || (element.getChildText('password') ?? '') !== password) {
          return stanzaError('auth', 'not-authorized');
        }
        // XMPP's counterpart of the HTTP endpoint's 503.
        if (behaviour === 'busy' || !rateLimit.tryAccept()) return stanzaError('wait', 'resource-constraint');
        if (behaviour === 'slow') {
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              slowTimers.delete(t);
              resolve();
            }, opts.slowMs ?? DEFAULT_SLOW_MS);
            slowTimers.add(t);
          });
        }
        // The middleware writes the result once this returns; the session starts after it (§9.2).
        setImmediate(opts.onRequest);
        return true;
      },
    },
  ];

  /** Ends the current login; the promise settles when every retired login has closed its stream. */
  const retire = (): Promise<void> => {
    const old = current;
    current = undefined;
    if (old) closing = Promise.all([closing, old.stop()]).then(() => undefined);
    return closing;
  };

  const refresh = () => {
    if (!started) return;
    const cfg = readXmppConfig(opts.model());
    if (cfg.state === 'ready' && behaviour !== 'unreachable') {
      const key = loginKey(cfg.config);
      if (current?.key === key) return current.setKeepAlive(cfg.config.keepAliveS);
      generation++;
      // The new login waits for the old stream to close, or the server would see a resource conflict.
      const after = retire();
      const login: KeptLogin = keepLoggedIn({
        config: cfg.config,
        after,
        routes,
        ca: opts.ca,
        loginSlots: opts.loginSlots,
        timeoutMs,
        secondMs,
        defaultKeepAliveS: opts.defaultKeepAliveS ?? 300,
        report: (s, bound) => {
          if (current === login) publish(cfg.config.connection, s, bound);
        },
      });
      current = login;
      return;
    }
    const mine = ++generation;
    // Reported once the stream is closed: "Disabled" then means an IQ to the old JID cannot reach us.
    void retire().then(() => {
      if (mine !== generation || !started) return;
      const unbound = { jid: '', tls: false };
      if (cfg.state === 'unused') {
        set(ms('ConnReqJabberID'), '');
        jid = '';
        status = 'Disabled';
        for (const l of listeners) l(status, jid);
        return;
      }
      const next: XmppStatus = cfg.state === 'disabled' ? 'Disabled' : cfg.state === 'misconfigured' ? 'Error_Misconfigured' : 'ServerNotPresent';
      publish(cfg.connection, next, unbound);
    });
  };

  const onChange = (c: ParameterChange) => {
    if (c.source !== 'acs') return;
    const root = opts.model().root;
    if (!c.name.startsWith(`${root}XMPP.`) && c.name !== `${root}ManagementServer.ConnReqXMPPConnection`) return;
    // One SetParameterValues announces each of its parameters: read the configuration once, after all of them.
    if (refreshQueued) return;
    refreshQueued = true;
    queueMicrotask(() => {
      refreshQueued = false;
      refresh();
    });
  };

  return {
    transport: 'xmpp',
    get url() {
      return jid;
    },
    get status() {
      return status;
    },
    refresh,
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      if (started) return;
      started = true;
      unwatch = opts.model().onChange(onChange);
      refresh();
    },
    async stop() {
      started = false;
      unwatch?.();
      unwatch = undefined;
      for (const t of slowTimers) clearTimeout(t);
      slowTimers.clear();
      await retire();
    },
  };
}
