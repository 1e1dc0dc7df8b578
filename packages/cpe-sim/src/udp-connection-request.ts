import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { UdpConnectionRequestGuard, decodeStunMessage, parseUdpConnectionRequest, type TransportAddress } from '@acs/stun';
import type { ConnectionRequestCredentials, ConnectionRequestEndpoint } from './connection-request.js';
import type { DataModel, ParameterChange } from './model/data-model.js';
import { createRateLimit, type RateLimit } from './rate-limit.js';
import { createStunClient, type StunClient } from './stun-client.js';
import { isStunParameter, readStunConfig } from './stun-config.js';
import { newStunCounters, type StunCounters, type UdpConnectionRequestOutcome } from './stun-counters.js';

/** Per-CPE settings of the STUN client / UDP connection-request listener (`CpeOptions.stun`). */
export interface UdpConnectionRequestSettings {
  /** Bind address of the UDP socket. Default: the HTTP listener's host, else 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** RFC 3489 Binding Requests without the magic cookie (default true); false sends RFC 5389 ones. */
  legacy?: boolean;
  /** Binding Request period in ms, overriding STUNMaximum/MinimumKeepAlivePeriod (tests). */
  keepAliveMs?: number;
  /** First retransmission wait of an unanswered Binding Request (doubling). Default 100. */
  retransmitMs?: number;
  maxRetransmits?: number;
  /** A signed request whose `ts` is further than this from our clock is stale. Default 300. */
  maxAgeS?: number;
}

export interface UdpConnectionRequestOptions extends UdpConnectionRequestSettings {
  model: () => DataModel;
  /** ConnectionRequestUsername/Password, read on every datagram: they sign UDP requests too. */
  credentials: () => ConnectionRequestCredentials;
  onRequest: () => void;
  /** Shared with the HTTP and XMPP endpoints. */
  rateLimit?: RateLimit;
  secondMs?: number;
  /** Used when the model has no ManagementServer.URL (its host is the default STUN server). */
  acsUrl?: string;
}

export type UdpConnectionRequestStatus = 'Disabled' | 'Misconfigured' | 'Binding' | 'Bound' | 'Error';

/** TR-111 STUN client and Annex G listener on one socket: STUN answers go to the client, the rest are requests. */
export interface UdpConnectionRequestEndpoint extends ConnectionRequestEndpoint {
  readonly transport: 'udp';
  /** UDPConnectionRequestAddress as published ('' until a Binding Response mapped it). */
  readonly url: string;
  readonly status: UdpConnectionRequestStatus;
  /** Where the socket is bound while STUN is on. */
  readonly localAddress: TransportAddress | undefined;
  readonly counters: Readonly<StunCounters>;
  /** Re-reads the configuration (needed after a FactoryReset, which announces no changes). */
  refresh(): void;
  /** Resolves once the configuration last read is applied (socket bound or closed). */
  settled(): Promise<void>;
}

export function formatHostPort(a: TransportAddress): string {
  return isIPv6(a.address) ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export function createUdpConnectionRequestEndpoint(opts: UdpConnectionRequestOptions): UdpConnectionRequestEndpoint {
  const host = opts.host ?? '127.0.0.1';
  const rateLimit = opts.rateLimit ?? createRateLimit();
  const counters = newStunCounters();
  const guard = new UdpConnectionRequestGuard({ maxAgeS: opts.maxAgeS ?? 300 });
  let started = false;
  let socket: Socket | undefined;
  let local: TransportAddress | undefined;
  let clientKey: string | undefined;
  let status: UdpConnectionRequestStatus = 'Disabled';
  let url = '';
  // Only values we published are cleared when STUN goes off: a dump's own UDPConnectionRequestAddress stays.
  let published = false;
  let chain: Promise<void> = Promise.resolve();
  let refreshQueued = false;
  let unwatch: (() => void) | undefined;

  const ms = (leaf: string) => `${opts.model().root}ManagementServer.${leaf}`;
  const set = (leaf: string, value: string) => {
    const model = opts.model();
    // Local changes: with Notification 2 on UDPConnectionRequestAddress the CPE informs 4 VALUE CHANGE.
    if (model.has(ms(leaf)) && model.getValue(ms(leaf)) !== value) model.setLocal(ms(leaf), value);
  };

  const client: StunClient = createStunClient({
    legacy: opts.legacy,
    secondMs: opts.secondMs,
    keepAliveMs: opts.keepAliveMs,
    retransmitMs: opts.retransmitMs,
    maxRetransmits: opts.maxRetransmits,
    counters,
    local: () => local ?? { address: host, port: 0 },
    send(datagram, toHost, toPort) {
      socket?.send(datagram, toPort, toHost, (err) => {
        if (err) counters.socketErrors++;
      });
    },
    onBinding(mapped, natDetected) {
      status = 'Bound';
      url = formatHostPort(mapped);
      published = true;
      // The address last: its notification's Inform then carries NATDetected as well when that is notified too.
      set('NATDetected', String(natDetected));
      set('UDPConnectionRequestAddress', url);
    },
  });

  const count = (outcome: UdpConnectionRequestOutcome) => {
    counters.udpConnectionRequests[outcome]++;
  };

  const onDatagram = (buf: Buffer) => {
    const stun = decodeStunMessage(buf);
    if (stun) return client.handle(stun);
    const parsed = parseUdpConnectionRequest(buf);
    if (!parsed.ok) return count('invalid');
    const verdict = guard.judge(parsed.request, opts.credentials(), Date.now());
    // Repeats of one request are normal (the ACS sends copies): counted, never a second session.
    if (verdict !== 'accept') return count(verdict);
    if (!rateLimit.tryAccept()) return count('rate_limited');
    count('accepted');
    opts.onRequest();
  };

  const open = async () => {
    const s = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    s.on('message', (buf) => {
      try {
        onDatagram(buf);
      } catch {
        count('invalid');
      }
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address: host, port: opts.port ?? 0, exclusive: true }, () => {
        s.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      s.close();
      throw e;
    });
    // After the bind: an ICMP-reported error on a send must not take the process down.
    s.on('error', () => {
      counters.socketErrors++;
    });
    const a = s.address();
    local = { address: a.address, port: a.port };
    socket = s;
  };

  const close = async () => {
    client.stop();
    clientKey = undefined;
    const s = socket;
    socket = undefined;
    local = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  const reconcile = async () => {
    const cfg = started ? readStunConfig(opts.model(), opts.acsUrl) : ({ state: 'disabled' } as const);
    if (cfg.state !== 'ready') {
      await close();
      status = cfg.state === 'misconfigured' ? 'Misconfigured' : 'Disabled';
      url = '';
      if (started && published) {
        published = false;
        set('NATDetected', 'false');
        set('UDPConnectionRequestAddress', '');
      }
      return;
    }
    if (!socket) {
      try {
        await open();
      } catch {
        counters.socketErrors++;
        status = 'Error';
        return;
      }
      if (status !== 'Bound') status = 'Binding';
    }
    const key = JSON.stringify(cfg.config);
    if (key !== clientKey) {
      clientKey = key;
      client.start(cfg.config);
    }
  };

  const refresh = () => {
    chain = chain.then(reconcile).catch(() => {
      status = 'Error';
    });
  };

  const onChange = (c: ParameterChange) => {
    if (c.source !== 'acs' || !isStunParameter(opts.model(), c.name)) return;
    // One SetParameterValues announces each of its parameters: apply them together.
    if (refreshQueued) return;
    refreshQueued = true;
    queueMicrotask(() => {
      refreshQueued = false;
      refresh();
    });
  };

  return {
    transport: 'udp',
    get url() {
      return url;
    },
    get status() {
      return status;
    },
    get localAddress() {
      return local;
    },
    counters,
    refresh,
    settled: () => chain,
    async start() {
      if (started) return;
      started = true;
      unwatch = opts.model().onChange(onChange);
      refresh();
      await chain;
    },
    async stop() {
      started = false;
      unwatch?.();
      unwatch = undefined;
      refresh();
      await chain;
    },
  };
}
