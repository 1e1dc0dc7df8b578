import type { Socket, RemoteInfo } from 'node:dgram';
import { appendMessageIntegrity, BindingResponseCache, encodeBindingError, readBindingRequest, verifyMessageIntegrity, type StunDatagram } from '@acs/stun';
import type { Logger } from '@acs/telemetry';
import { bindingTtlMs, type BindingChange, type BindingStore } from './binding-store.js';
import { stunPasswordFor } from './credentials.js';
import { DeviceLookupBusyError, type DeviceLookup, type StunDevice } from './device-lookup.js';

/** What the STUN server did with the datagrams it received (the benchmark and the tests read these). */
export interface StunServerCounters {
  requests: number;
  /** Not a Binding Request (or not STUN): dropped without an answer, as RFC 5389 §7.3 says. */
  ignored: number;
  unauthorized: number;
  /** Binding Requests with CONNECTION-REQUEST-BINDING from a known device whose binding was recorded. */
  recorded: number;
  changes: number;
  /** Recording failed (kv down) or the device lookup failed: answered, not recorded. */
  failures: number;
}

export interface StunServerOptions {
  readonly socket: Pick<Socket, 'send'>;
  readonly lookup: DeviceLookup;
  readonly bindings: BindingStore;
  /** Derives every device's STUNPassword (`stunPasswordFor`). */
  readonly secret: string;
  /** A binding appeared or moved: announce it (the registry stores it as the UDP connection-request address). */
  readonly onChange: (deviceId: string, change: BindingChange) => void;
  readonly logger: Logger;
  /** Addresses whose encoded answer, and usernames whose derived password, are kept in process. */
  readonly cacheEntries: number;
}

export interface StunServer {
  handle(message: Buffer, from: RemoteInfo): void;
  readonly counters: Readonly<StunServerCounters>;
}

type Verdict = { readonly kind: 'answer'; readonly record: StunDevice } | { readonly kind: 'unauthorized' };

/**
 * TR-111's STUN server. Every Binding Request gets its mapped address; one with a STUN username is checked: a bad
 * MESSAGE-INTEGRITY (key derived from the username) gets 401, and none gets 401 when the device's type requires
 * integrity. Bindings are recorded only from requests with CONNECTION-REQUEST-BINDING of devices the registry knows.
 * The answer goes out before the kv write: a keep-alive's round trip does not wait for Redis.
 */
export function createStunServer(options: StunServerOptions): StunServer {
  const { socket, lookup, bindings, secret, logger } = options;
  const counters: StunServerCounters = { requests: 0, ignored: 0, unauthorized: 0, recorded: 0, changes: 0, failures: 0 };
  const responses = new BindingResponseCache(options.cacheEntries);
  // An HMAC-SHA256 per keep-alive would be a third of its cost: a username's password is derived once.
  const passwords = new Map<string, string>();
  const passwordOf = (username: string): string => {
    let password = passwords.get(username);
    if (password === undefined) {
      password = stunPasswordFor(secret, username);
      passwords.set(username, password);
      if (passwords.size > options.cacheEntries) passwords.delete(passwords.keys().next().value!);
    }
    return password;
  };
  let lastFailureLog = 0;

  const fail = (err: unknown, context: object, what: string) => {
    counters.failures++;
    // One line per 10 s at most: a Redis outage must not become a log line per keep-alive.
    const now = Date.now();
    if (now - lastFailureLog < 10_000) return;
    lastFailureLog = now;
    logger.warn({ err, ...context, failures: counters.failures }, what);
  };

  function verdict(request: StunDatagram, message: Buffer, username: string, device: StunDevice): Verdict {
    if (username === '') return { kind: 'answer', record: null };
    if (request.hasIntegrity) {
      const valid = verifyMessageIntegrity(message, passwordOf(username), request.legacy ? 'rfc3489' : 'rfc5389') !== null;
      return valid ? { kind: 'answer', record: device } : { kind: 'unauthorized' };
    }
    if (device?.requireAuth === true) return { kind: 'unauthorized' };
    return { kind: 'answer', record: device };
  }

  function reply(request: StunDatagram, message: Buffer, from: RemoteInfo, username: string, device: StunDevice): void {
    const v = verdict(request, message, username, device);
    if (v.kind === 'unauthorized') {
      counters.unauthorized++;
      socket.send(encodeBindingError(request, 401, 'Unauthorized'), from.port, from.address);
      return;
    }
    let response = responses.encode(request, from);
    // RFC 3489 §11.2.8 / RFC 5389 §10.1.2: a response to a request with integrity carries integrity too.
    if (request.hasIntegrity) response = appendMessageIntegrity(response, passwordOf(username), request.legacy ? 'rfc3489' : 'rfc5389');
    socket.send(response, from.port, from.address);
    // Only bindings of devices the registry knows are recorded (a lookup that failed: a later keep-alive's job).
    if (!request.connectionRequestBinding || v.record === null) return;
    const ttlMs = bindingTtlMs(v.record.maximumKeepAlivePeriod);
    const deviceId = v.record.deviceId;
    bindings.observe(deviceId, { host: from.address, port: from.port, bindingChange: request.bindingChange }, ttlMs).then(
      (change) => {
        counters.recorded++;
        if (change === null) return;
        counters.changes++;
        options.onChange(deviceId, change);
      },
      (err: unknown) => fail(err, { deviceId }, 'STUN binding not recorded'),
    );
  }

  return {
    counters,
    handle(message, from) {
      counters.requests++;
      const request = readBindingRequest(message);
      if (request === null) {
        counters.ignored++;
        return;
      }
      const username = request.username;
      if (username === undefined) {
        reply(request, message, from, '', null);
        return;
      }
      const known = lookup.peek(username);
      if (known !== undefined) {
        reply(request, message, from, username, known);
        return;
      }
      lookup.get(username).then(
        (device) => reply(request, message, from, username, device),
        (err: unknown) => {
          // Busy is load shedding, not a failure worth a log line.
          if (err instanceof DeviceLookupBusyError) counters.failures++;
          else fail(err, { username }, 'STUN device lookup failed');
          reply(request, message, from, username, null);
        },
      );
    },
  };
}
