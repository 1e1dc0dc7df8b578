// The "ACS" side of the XMPP tests: @xmpp/client logged in as its own account, sending Annex K IQs.
import { readFileSync } from 'node:fs';
import { client, xml, type Client, type Element, type Transport } from '@xmpp/client';
import type { ProsodyServer } from '@acs/testkit';
import { CONNREQ_NS } from '../../src/index.js';
import { guardIqCaller } from '../../src/xmpp-client.js';

/**
 * @xmpp/client 0.14 takes no TLS options: trust Prosody's self-signed certificate through a
 * subclass of its direct-TLS transport that adds `ca` and `servername` to the socket parameters.
 */
function trustCa(xmpp: Client, ca: Buffer, servername: string): void {
  type SocketParameters = (service: string) => object | undefined;
  const base = xmpp.transports.find((T) => (T.prototype as { socketParameters: SocketParameters }).socketParameters('xmpps://127.0.0.1:1') !== undefined);
  if (!base) throw new Error('@xmpp/client has no xmpps:// transport');
  const Base = base as unknown as new () => { socketParameters(service: string): object | undefined };
  class TrustingTls extends Base {
    override socketParameters(service: string) {
      const params = super.socketParameters(service);
      return params && { ...params, ca, servername };
    }
  }
  xmpp.transports.unshift(TrustingTls as unknown as Transport);
}

export interface XmppAcs {
  readonly jid: string;
  /** Sends the connectionRequest IQ; resolves with the reply type, or the stanza error's condition. */
  connectionRequest(to: string, username: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startXmppAcs(server: ProsodyServer, username: string, password: string, resource = 'acs'): Promise<XmppAcs> {
  const xmpp = client({ service: `xmpps://${server.host}:${server.directTlsPort}`, domain: server.domain, resource, username, password });
  trustCa(xmpp, readFileSync(server.caFile), server.domain);
  xmpp.on('error', () => {
    // start() and request() reject with the same error.
  });
  // A test peer never reconnects by itself: a kicked session stays gone.
  xmpp.reconnect.stop();
  const caller = guardIqCaller(xmpp.iqCaller);
  const jid = String(await xmpp.start());
  return {
    jid,
    async connectionRequest(to, user, pass) {
      const iq = xml('iq', { type: 'get', to }, xml('connectionRequest', { xmlns: CONNREQ_NS }, xml('username', {}, user), xml('password', {}, pass)));
      try {
        const reply: Element = await caller.request(iq, 5_000);
        return reply.attrs.type ?? '';
      } catch (e) {
        const condition = (e as { condition?: string }).condition;
        if (condition) return condition;
        throw e;
      }
    },
    async stop() {
      await xmpp.stop().catch(() => undefined);
    },
  };
}
