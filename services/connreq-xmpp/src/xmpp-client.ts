// One XMPP client connection assembled from the @xmpp/client 0.14 pieces. Not `client()` itself: its STARTTLS step
// takes no TLS options (so it could not trust a private CA) and it authenticates in clear text when a server offers
// no STARTTLS. Here the stream is TLS before SASL, always.
import { Client, jid as makeJid, type TransportClass } from '@xmpp/client-core';
import caller, { type IqCaller } from '@xmpp/iq/caller.js';
import callee from '@xmpp/iq/callee.js';
import middleware from '@xmpp/middleware';
import resourceBinding from '@xmpp/resource-binding';
import sasl from '@xmpp/sasl';
import plain from '@xmpp/sasl-plain';
import scramSha1 from '@xmpp/sasl-scram-sha-1';
import { canUpgrade, upgrade } from '@xmpp/starttls/starttls.js';
import streamFeatures from '@xmpp/stream-features';
import tcp from '@xmpp/tcp';
import ConnectionTLS from '@xmpp/tls/lib/Connection.js';
import xml from '@xmpp/xml';
import SASLFactory from 'saslmechanisms';

const NS_STARTTLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_STREAM = 'http://etherx.jabber.org/streams';

/** The XMPP server as configured: `xmpp://host[:port]` (STARTTLS, port 5222) or `xmpps://host[:port]` (TLS, 5223). */
export interface XmppEndpoint {
  readonly service: string;
  readonly host: string;
  readonly port: number;
  readonly directTls: boolean;
}

/** The service URI is not `xmpp://` or `xmpps://` with a host. */
export class XmppServiceUriError extends Error {
  override readonly name = 'XmppServiceUriError';
  readonly code = 'XMPP_SERVICE_URI' as const;
}

export function parseXmppService(service: string): XmppEndpoint {
  const url = URL.canParse(service) ? new URL(service) : undefined;
  if (url === undefined || (url.protocol !== 'xmpp:' && url.protocol !== 'xmpps:') || url.hostname === '') {
    throw new XmppServiceUriError(`expected xmpp://host[:port] (STARTTLS) or xmpps://host[:port] (direct TLS), got ${JSON.stringify(service)}`);
  }
  const directTls = url.protocol === 'xmpps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { service, host, port: url.port === '' ? (directTls ? 5223 : 5222) : Number(url.port), directTls };
}

/**
 * The direct-TLS (`xmpps://`) transport with `ca` trusted and the certificate checked against `servername` (the
 * XMPP domain, RFC 6120 §13.7.2.1) rather than the host connected to.
 */
export function trustingTlsTransport(ca: string | Buffer | undefined, servername: string): TransportClass {
  class TrustingTls extends ConnectionTLS {
    override socketParameters(service: string) {
      const params = super.socketParameters(service);
      return params && { ...params, servername, ...(ca === undefined ? {} : { ca }) };
    }
  }
  return TrustingTls;
}

export interface XmppClientOptions {
  readonly endpoint: XmppEndpoint;
  readonly domain: string;
  readonly username: string;
  readonly password: string;
  readonly resource: string;
  /** PEM of the CA(s) the server's certificate must chain to; none: the system's roots. */
  readonly ca?: string | Buffer;
  /** Stream open/close timeout (ms). */
  readonly streamTimeoutMs?: number;
}

export type XmppClient = Client & { readonly iqCaller: IqCaller };

/** A client that has not connected yet: `start()` connects, secures, authenticates and binds `resource`. */
export function createXmppClient(options: XmppClientOptions): XmppClient {
  const { endpoint, domain } = options;
  const entity = new Client({ service: endpoint.service, domain, ...(options.streamTimeoutMs === undefined ? {} : { timeout: options.streamTimeoutMs }) });
  entity.jid = makeJid(options.username, domain);
  tcp({ entity });
  entity.transports.push(trustingTlsTransport(options.ca, domain));

  const mw = middleware({ entity });
  // Registered first, so it sees every features stanza before SASL does.
  mw.use((ctx, next) => {
    const { stanza } = ctx;
    if (!stanza.is('features', NS_STREAM) || entity.isSecure() || stanza.getChild('starttls', NS_STARTTLS)) return next();
    throw new Error(`XMPP server ${endpoint.service} offers no STARTTLS: refusing to authenticate in clear text`);
  });
  const features = streamFeatures({ middleware: mw });
  features.use('starttls', NS_STARTTLS, async () => {
    if (!canUpgrade(entity.socket)) return;
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_STARTTLS }));
    if (!answer.is('proceed', NS_STARTTLS)) throw new Error(`XMPP server ${endpoint.service} refused STARTTLS`);
    const secured = await upgrade(entity.socket, { host: endpoint.host, servername: domain, ...(options.ca === undefined ? {} : { ca: options.ca }) });
    entity._attachSocket(secured);
    await entity.restart();
  });
  const iqCaller = caller({ middleware: mw, entity });
  // Answers pings (XEP-0199) and refuses other IQs with service-unavailable, as RFC 6120 §8.2.3 asks of every entity.
  callee({ middleware: mw, entity }).get('urn:xmpp:ping', 'ping', () => true);

  // Offered mechanisms in this order: SCRAM-SHA-1 where the server has it, PLAIN (over TLS only) otherwise.
  const saslFactory = new SASLFactory();
  scramSha1(saslFactory);
  plain(saslFactory);
  sasl({ streamFeatures: features, saslFactory }, async (authenticate, mechanisms) => {
    const mechanism = mechanisms[0];
    if (mechanism === undefined) throw new Error('XMPP server offers neither SCRAM-SHA-1 nor PLAIN');
    await authenticate({ username: options.username, password: options.password }, mechanism);
  });
  resourceBinding({ streamFeatures: features, iqCaller }, options.resource);
  return Object.assign(entity, { iqCaller });
}
