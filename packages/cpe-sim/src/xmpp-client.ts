import { createSecureContext, type SecureContext } from 'node:tls';
import { Client, xml, type Element } from '@xmpp/client-core';
import iqCallee from '@xmpp/iq/callee.js';
import iqCaller from '@xmpp/iq/caller.js';
import createMiddleware from '@xmpp/middleware';
import resourceBinding from '@xmpp/resource-binding';
import sasl from '@xmpp/sasl';
import { canUpgrade, upgrade } from '@xmpp/starttls/starttls.js';
import streamFeatures from '@xmpp/stream-features';
import tcp from '@xmpp/tcp';
import SaslFactory from 'saslmechanisms';
import { XmppError } from './errors.js';
import { Plain, ScramSha1 } from './xmpp-sasl.js';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_PING = 'urn:xmpp:ping';

export interface XmppLogin {
  host: string;
  port: number;
  /** The JID domain: the stream's `to`, the SASL realm and the name the server certificate must carry. */
  domain: string;
  username: string;
  password: string;
  resource: string;
  /** UseTLS: negotiate STARTTLS even when the server does not require it, and refuse to go on without it. */
  requireTls: boolean;
  /** PEM CA(s) trusted for the server certificate, instead of Node's default list. */
  ca?: string | Buffer;
  /** Bound for the whole login (TCP, TLS, SASL, bind) and for each stream step. */
  timeoutMs: number;
}

// Parsing the CA for every handshake cost a fleet more than the handshakes' own crypto: one context per CA.
const contextsByBuffer = new WeakMap<Buffer, SecureContext>();
const contextsByText = new Map<string, SecureContext>();
function secureContextFor(ca: string | Buffer): SecureContext {
  let context = typeof ca === 'string' ? contextsByText.get(ca) : contextsByBuffer.get(ca);
  if (!context) {
    context = createSecureContext({ ca });
    if (typeof ca === 'string') contextsByText.set(ca, context);
    else contextsByBuffer.set(ca, context);
  }
  return context;
}

/** `true` answers `result`; an element from `stanzaError` answers `error`. */
export type IqAnswer = true | Element;

export interface IqRoute {
  xmlns: string;
  name: string;
  /** `from` is the sender's JID as the server stamped it (the server's domain when absent). */
  handle(request: { from: string; element: Element }): IqAnswer | Promise<IqAnswer>;
}

/** A bound XMPP stream. */
export interface XmppLink {
  /** The full JID the server bound. */
  readonly jid: string;
  readonly tls: boolean;
  /** Resolves once the stream is gone (dropped by the server or the network, or closed by us). */
  readonly closed: Promise<void>;
  /** XEP-0199 ping to the server; resolves false when the stream no longer answers. */
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * @xmpp/iq 0.14's request() awaits the write before it listens to its Deferred: an error reply
 * that arrives first (Prosody answers an IQ to an offline JID at once) rejects a promise nobody
 * handles yet, an unhandled rejection that kills the process. A no-op catch on that Deferred, in
 * place as soon as request() has registered it, closes the gap; request() still rejects.
 */
export function guardIqCaller<C extends { request(stanza: Element, timeoutMs?: number): Promise<Element> }>(caller: C): C {
  const handlers = (caller as unknown as { handlers: Map<string, { promise: Promise<unknown> }> }).handlers;
  const request = caller.request.bind(caller);
  caller.request = (stanza, timeoutMs) => {
    const reply = request(stanza, timeoutMs);
    handlers.get(stanza.attrs.id ?? '')?.promise.catch(() => undefined);
    return reply;
  };
  return caller;
}

export function stanzaError(type: 'auth' | 'cancel' | 'modify' | 'wait', condition: string): Element {
  return xml('error', { type }, xml(condition, { xmlns: NS_STANZAS }));
}

/** Logs in (TCP, STARTTLS, SASL SCRAM-SHA-1 or PLAIN over TLS, resource binding) and routes incoming IQs. */
export async function connectXmpp(login: XmppLogin, routes: IqRoute[], signal?: AbortSignal): Promise<XmppLink> {
  const entity = new Client({ service: `xmpp://${login.host}:${login.port}`, domain: login.domain, timeout: login.timeoutMs });
  tcp({ entity });
  const middleware = createMiddleware({ entity });
  const features = streamFeatures({ middleware });
  const caller = guardIqCaller(iqCaller({ middleware, entity }));
  const callee = iqCallee({ middleware, entity });
  let failure: unknown;
  // Every failure also arrives as an 'error' event; an EventEmitter without a listener would throw it.
  entity.on('error', (e: unknown) => {
    failure ??= e;
  });

  // Our own STARTTLS step: @xmpp/starttls neither takes a CA nor lets UseTLS make TLS mandatory.
  features.use('starttls', NS_TLS, async (ctx, next, feature) => {
    if (!canUpgrade(ctx.entity.socket)) return next();
    if (!login.requireTls && !feature.getChild('required')) return next();
    const answer = await ctx.entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) throw new XmppError('TLS_FAILED', 'the server refused STARTTLS');
    let secured: unknown;
    try {
      secured = await upgrade(ctx.entity.socket, { host: login.domain, servername: login.domain, ...(login.ca ? { secureContext: secureContextFor(login.ca) } : {}) });
    } catch (e) {
      throw new XmppError('TLS_FAILED', `TLS handshake with ${login.domain} failed: ${(e as Error).message}`, { cause: e });
    }
    ctx.entity._attachSocket(secured);
    await ctx.entity.restart();
  });
  const saslFactory = new SaslFactory().use(ScramSha1).use(Plain);
  sasl({ streamFeatures: features, saslFactory }, async (authenticate, mechanisms) => {
    if (login.requireTls && !entity.isSecure()) throw new XmppError('TLS_FAILED', 'UseTLS is true but the server offered no STARTTLS');
    const mechanism = mechanisms.includes('SCRAM-SHA-1') ? 'SCRAM-SHA-1' : entity.isSecure() && mechanisms.includes('PLAIN') ? 'PLAIN' : undefined;
    if (!mechanism) throw new XmppError('PROTOCOL', `no usable SASL mechanism among ${mechanisms.join(', ') || 'none'}`);
    await authenticate({ username: login.username, password: login.password }, mechanism);
  });
  resourceBinding({ iqCaller: caller, streamFeatures: features }, login.resource);
  for (const route of routes) {
    const handler = (ctx: { stanza: Element; element: Element }) => route.handle({ from: ctx.stanza.attrs.from ?? login.domain, element: ctx.element });
    // Annex K senders disagree on get or set (cwmp-protocol.md §9.2): take both.
    callee.get(route.xmlns, route.name, handler);
    callee.set(route.xmlns, route.name, handler);
  }

  const closed = new Promise<void>((resolve) => entity.once('disconnect', () => resolve()));
  const destroy = () => {
    const socket = entity.socket as { destroy?: () => void; socket?: { destroy(): void } } | null;
    (socket?.socket ?? socket)?.destroy?.();
  };
  let jid: string;
  try {
    jid = String(await withDeadline(entity.start(), login.timeoutMs, signal));
  } catch (e) {
    destroy();
    throw classify(failure ?? e);
  }
  return {
    jid,
    tls: entity.isSecure(),
    closed,
    async ping(timeoutMs) {
      try {
        await caller.request(xml('iq', { type: 'get', to: login.domain }, xml('ping', { xmlns: NS_PING })), timeoutMs);
        return true;
      } catch (e) {
        // An error reply is still an answer: only silence or a broken stream means the link is gone.
        return (e as { name?: string }).name === 'StanzaError';
      }
    },
    async close() {
      if (entity.status === 'offline' || entity.status === 'disconnect') return;
      await entity.stop().catch(() => undefined);
      destroy();
    },
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(new XmppError('ABORTED', 'login aborted'));
    // Whichever comes first settles and disarms the others: a login that never answers keeps no timer.
    const disarm = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      disarm();
      reject(new XmppError('ABORTED', 'login aborted'));
    };
    const timer = setTimeout(() => {
      disarm();
      reject(new XmppError('TIMEOUT', `no XMPP login within ${ms} ms`));
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        disarm();
        resolve(v);
      },
      (e: unknown) => {
        disarm();
        reject(e);
      },
    );
  });
}

function classify(e: unknown): XmppError {
  if (e instanceof XmppError) return e;
  const err = e as Error & { code?: string; condition?: string };
  if (err.name === 'SASLError') return new XmppError('AUTH_FAILED', `SASL ${err.condition ?? 'failure'}`, { cause: e });
  if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENOTFOUND' || err.code === 'ETIMEDOUT') {
    return new XmppError('SERVER_NOT_PRESENT', err.message, { cause: e });
  }
  if (err.name === 'TimeoutError') return new XmppError('TIMEOUT', err.message || 'XMPP stream step timed out', { cause: e });
  return new XmppError('PROTOCOL', err.message ?? String(e), { cause: e });
}
