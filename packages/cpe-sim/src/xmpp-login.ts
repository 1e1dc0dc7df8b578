import { XmppError } from './errors.js';
import type { LoginSlots } from './login-slots.js';
import { connectXmpp, type IqRoute, type XmppLink } from './xmpp-client.js';
import { loginKey, reconnectWaitS, type XmppConnectionConfig } from './xmpp-config.js';

/** XMPP.Connection.{i}.Status values this CPE reports. */
export type XmppStatus = 'Enabled' | 'Disabled' | 'Connecting' | 'ServerNotPresent' | 'Error_Misconfigured' | 'Error_AuthenticationFailure' | 'Error';

export interface KeepLoggedInOptions {
  config: XmppConnectionConfig;
  /** The first attempt waits for this (the previous login's stream closing). */
  after: Promise<void>;
  routes: IqRoute[];
  ca?: string | Buffer;
  loginSlots?: LoginSlots;
  timeoutMs: number;
  /** Length of one protocol second in ms (keep-alive period, reconnection waits). */
  secondMs: number;
  /** Keep-alive period for KeepAliveInterval -1, in protocol seconds. */
  defaultKeepAliveS: number;
  /** Every status change; `bound` once the server has bound a JID. Never called after stop(). */
  report(status: XmppStatus, bound?: { jid: string; tls: boolean }): void;
}

/** One XMPP.Connection kept logged in until stop(). */
export interface KeptLogin {
  /** loginKey() of its configuration. */
  readonly key: string;
  /** KeepAliveInterval changed: applies to the live stream, no new login. */
  setKeepAlive(seconds: number): void;
  /** Logs out (closes the stream) and ends the reconnection loop. */
  stop(): Promise<void>;
}

function statusFor(e: unknown): XmppStatus {
  const code = e instanceof XmppError ? e.code : undefined;
  if (code === 'AUTH_FAILED') return 'Error_AuthenticationFailure';
  if (code === 'SERVER_NOT_PRESENT') return 'ServerNotPresent';
  return 'Error';
}

/**
 * Logs in, keeps the stream alive with XEP-0199 pings and logs in again whenever it drops,
 * after the TR-181 reconnection wait; the servers are tried in order, each ServerConnectAttempts
 * times.
 */
export function keepLoggedIn(o: KeepLoggedInOptions): KeptLogin {
  const { config } = o;
  const abort = new AbortController();
  let link: XmppLink | undefined;
  let keepAliveS = config.keepAliveS;
  let keepAliveTimer: NodeJS.Timeout | undefined;
  let waitTimer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const report: KeepLoggedInOptions['report'] = (status, bound) => {
    if (!abort.signal.aborted) o.report(status, bound);
  };
  const stopKeepAlive = () => {
    clearTimeout(keepAliveTimer);
    keepAliveTimer = undefined;
  };
  // One timer per connected CPE: the next ping is armed when the previous one has answered.
  const armKeepAlive = () => {
    stopKeepAlive();
    const seconds = keepAliveS < 0 ? o.defaultKeepAliveS : keepAliveS;
    const l = link;
    if (!l || !(seconds > 0)) return;
    keepAliveTimer = setTimeout(() => {
      void l.ping(o.timeoutMs).then((alive) => {
        if (alive) armKeepAlive();
        else void l.close();
      });
    }, seconds * o.secondMs);
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      waitTimer = setTimeout(resolve, ms);
    });

  const run = async () => {
    await o.after;
    let failures = 0;
    let serverIndex = 0;
    let attemptsOnServer = 0;
    while (!abort.signal.aborted) {
      const server = config.servers[serverIndex % config.servers.length] ?? { host: config.domain, port: 5222 };
      report('Connecting');
      let release: (() => void) | undefined;
      try {
        release = await o.loginSlots?.acquire(abort.signal);
        link = await connectXmpp(
          { ...server, domain: config.domain, username: config.username, password: config.password, resource: config.resource, requireTls: config.useTls, ca: o.ca, timeoutMs: o.timeoutMs },
          o.routes,
          abort.signal,
        );
      } catch (e) {
        link = undefined;
        report(statusFor(e));
      } finally {
        release?.();
      }
      if (abort.signal.aborted) break;
      if (link) {
        failures = 0;
        attemptsOnServer = 0;
        report('Enabled', { jid: link.jid, tls: link.tls });
        armKeepAlive();
        await link.closed;
        stopKeepAlive();
        link = undefined;
        if (abort.signal.aborted) break;
        // Dropped: ConnReqJabberID stays as it is while the connection is only temporarily down.
        report('Connecting');
      } else if (++attemptsOnServer >= Math.max(1, config.connectAttempts)) {
        serverIndex++;
        attemptsOnServer = 0;
      }
      await sleep(reconnectWaitS(++failures, config) * o.secondMs);
    }
  };
  const done = run();

  return {
    key: loginKey(config),
    setKeepAlive(seconds) {
      keepAliveS = seconds;
      if (link) armKeepAlive();
    },
    async stop() {
      abort.abort();
      clearTimeout(waitTimer);
      wake?.();
      stopKeepAlive();
      await link?.close();
      await done;
    },
  };
}
