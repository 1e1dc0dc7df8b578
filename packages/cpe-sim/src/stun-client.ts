import { encodeBindingRequest, type StunDatagram, type TransportAddress } from '@acs/stun';
import { keepAlivePeriodS, type StunConfig } from './stun-config.js';
import type { StunCounters } from './stun-counters.js';

export interface StunClientOptions {
  /** Sends from the UDP connection-request socket (TR-111: keep-alives must leave from that port). */
  send(datagram: Buffer, host: string, port: number): void;
  /** The socket's own address, to tell whether a NAT rewrote it. */
  local(): TransportAddress;
  /** Called on every Binding Response with a mapped address; `changed`: it differs from the previous one. */
  onBinding(mapped: TransportAddress, natDetected: boolean, changed: boolean): void;
  counters: StunCounters;
  /** RFC 3489 requests (no magic cookie), as TR-111 CPEs send them. Default true. */
  legacy?: boolean;
  /** Length of one protocol second in ms (keep-alive periods). Default 1000. */
  secondMs?: number;
  /** Overrides the period derived from STUNMaximum/MinimumKeepAlivePeriod. */
  keepAliveMs?: number;
  /** First retransmission wait; doubled after each. Default 100 (RFC 3489 §9.3). */
  retransmitMs?: number;
  /** Default 4: a request and four copies over ~3 s, then the transaction is given up until the next keep-alive. */
  maxRetransmits?: number;
}

export interface StunClient {
  /** (Re)starts with `config`: the first Binding Request leaves at once. The last mapped address is kept. */
  start(config: StunConfig): void;
  /** A decoded STUN datagram received on the socket; anything but an answer to our transaction is ignored. */
  handle(message: StunDatagram): void;
  /** The latest mapped address (undefined before the first response). */
  readonly mapped: TransportAddress | undefined;
  stop(): void;
}

interface Transaction {
  id: string;
  datagram: Buffer;
  integrity: boolean;
  bindingChange: boolean;
  retransmits: number;
}

// Cap of the back-off factor after failed authentications: the period × 2^6 at most.
const MAX_AUTH_BACKOFF_EXP = 6;

export function createStunClient(opts: StunClientOptions): StunClient {
  const legacy = opts.legacy ?? true;
  const secondMs = opts.secondMs ?? 1_000;
  const retransmitMs = opts.retransmitMs ?? 100;
  const maxRetransmits = opts.maxRetransmits ?? 4;
  const c = opts.counters;
  let config: StunConfig | undefined;
  let current: Transaction | undefined;
  let mapped: TransportAddress | undefined;
  let useIntegrity = false;
  let bindingChangePending = false;
  let authFailures = 0;
  let keepAliveTimer: NodeJS.Timeout | undefined;
  let retransmitTimer: NodeJS.Timeout | undefined;

  const periodMs = () => (config ? (opts.keepAliveMs ?? keepAlivePeriodS(config) * secondMs) : 0);

  const clearTimers = () => {
    clearTimeout(keepAliveTimer);
    clearTimeout(retransmitTimer);
    keepAliveTimer = undefined;
    retransmitTimer = undefined;
  };

  const transmit = (t: Transaction) => {
    if (!config) return;
    opts.send(t.datagram, config.server.host, config.server.port);
    // RFC 3489 §9.3: 100 ms, doubling; the last wait is for the answer to the last copy.
    retransmitTimer = setTimeout(() => {
      retransmitTimer = undefined;
      if (current !== t) return;
      if (t.retransmits >= maxRetransmits) {
        c.timeouts++;
        current = undefined;
        return;
      }
      t.retransmits++;
      c.retransmissions++;
      transmit(t);
    }, retransmitMs * 2 ** t.retransmits);
  };

  /** A new transaction now; the next keep-alive is due a period later (longer after failed authentications). */
  const transact = () => {
    if (!config) return;
    clearTimers();
    const integrity = useIntegrity && config.username !== '';
    const datagram = encodeBindingRequest({
      legacy,
      connectionRequestBinding: true,
      bindingChange: bindingChangePending,
      ...(config.username === '' ? {} : { username: config.username }),
      ...(integrity ? { password: config.password } : {}),
    });
    const t: Transaction = { id: datagram.subarray(4, 20).toString('hex'), datagram, integrity, bindingChange: bindingChangePending, retransmits: 0 };
    current = t;
    c.bindingRequests++;
    keepAliveTimer = setTimeout(transact, periodMs() * 2 ** Math.min(authFailures, MAX_AUTH_BACKOFF_EXP));
    transmit(t);
  };

  const onResponse = (t: Transaction, m: StunDatagram) => {
    c.bindingResponses++;
    authFailures = 0;
    if (!m.mappedAddress) return;
    if (t.bindingChange) bindingChangePending = false;
    const next = m.mappedAddress;
    const changed = mapped !== undefined && (mapped.address !== next.address || mapped.port !== next.port);
    mapped = { address: next.address, port: next.port };
    const local = opts.local();
    opts.onBinding(mapped, next.address !== local.address || next.port !== local.port, changed);
    if (changed) {
      c.bindingChanges++;
      // TR-111: the first request after the mapping moved carries BINDING-CHANGE, and it goes right away.
      bindingChangePending = true;
      transact();
    }
  };

  const onError = (t: Transaction, m: StunDatagram) => {
    c.bindingErrors++;
    if (m.errorCode !== 401) return;
    c.unauthorized++;
    if (!t.integrity && config && config.username !== '') {
      // The server wants MESSAGE-INTEGRITY: retry at once and keep sending it.
      useIntegrity = true;
      transact();
      return;
    }
    // Refused with integrity (or nothing to sign with): wait longer each time rather than spin.
    authFailures++;
    clearTimeout(keepAliveTimer);
    keepAliveTimer = setTimeout(transact, periodMs() * 2 ** Math.min(authFailures, MAX_AUTH_BACKOFF_EXP));
  };

  return {
    get mapped() {
      return mapped;
    },
    start(next) {
      config = next;
      current = undefined;
      useIntegrity = false;
      authFailures = 0;
      transact();
    },
    handle(m) {
      const t = current;
      if (!t || (m.kind !== 'binding-response' && m.kind !== 'binding-error') || m.transactionId.toString('hex') !== t.id) return;
      current = undefined;
      clearTimeout(retransmitTimer);
      retransmitTimer = undefined;
      if (m.kind === 'binding-response') onResponse(t, m);
      else onError(t, m);
    },
    stop() {
      clearTimers();
      config = undefined;
      current = undefined;
      mapped = undefined;
      bindingChangePending = false;
    },
  };
}
