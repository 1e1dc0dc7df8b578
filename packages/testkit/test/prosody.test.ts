import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { client, xml, type Client, type IqContext, type Transport } from '@xmpp/client';
import { startProsody, type ProsodyServer } from '../src/index.js';

// TR-069 Annex K connection request, the payload the ACS will really send.
const CONNREQ_NS = 'urn:broadband-forum-org:cwmp:xmppConnReq-1-0';

/**
 * @xmpp/client 0.14 has no TLS options, so an in-process client trusts the test CA through a
 * subclass of its own direct-TLS transport that adds `ca` and `servername` to the socket parameters.
 */
function trustCa(xmpp: Client, caPem: Buffer, servername: string): void {
  type SocketParameters = (service: string) => object | undefined;
  const probe = (T: Transport) => (T.prototype as { socketParameters: SocketParameters }).socketParameters('xmpps://127.0.0.1:1');
  const base = xmpp.transports.find((T) => probe(T) !== undefined);
  if (!base) throw new Error('@xmpp/client has no xmpps:// transport');
  const Base = base as unknown as new () => { socketParameters(service: string): object | undefined };
  class TrustingTls extends Base {
    override socketParameters(service: string) {
      const params = super.socketParameters(service);
      return params && { ...params, ca: caPem, servername };
    }
  }
  xmpp.transports.unshift(TrustingTls as unknown as Transport);
}

describe('Prosody', () => {
  let server: ProsodyServer;
  let acs: Client;
  let cpe: Client;
  const online: Client[] = [];

  const connect = async (username: string, resource: string) => {
    const xmpp = client({
      service: `xmpps://${server.host}:${server.directTlsPort}`,
      domain: server.domain,
      resource,
      username,
      password: `${username}-pw`,
    });
    trustCa(xmpp, readFileSync(server.caFile), server.domain);
    xmpp.on('error', () => {
      // start() rejects with the same error; the listener keeps EventEmitter from throwing it again.
    });
    online.push(xmpp);
    await xmpp.start();
    return xmpp;
  };

  beforeAll(async () => {
    server = await startProsody({ users: [{ username: 'acs', password: 'acs-pw' }] });
    await server.register('cpe1', 'cpe1-pw');
    cpe = await connect('cpe1', 'ConnReq');
    acs = await connect('acs', 'acs');
  });

  afterAll(async () => {
    for (const xmpp of online) await xmpp.stop().catch(() => undefined);
    await server?.stop();
  });

  it('delivers an Annex K connectionRequest IQ between two accounts and returns the result', async () => {
    const received: { from: string | undefined; username: string | null }[] = [];
    cpe.iqCallee.set(CONNREQ_NS, 'connectionRequest', (ctx: IqContext) => {
      received.push({ from: ctx.stanza.attrs.from, username: ctx.element.getChildText('username') });
      // @xmpp/iq answers `result` only for a truthy return value.
      return true;
    });

    const reply = await acs.iqCaller.request(
      xml('iq', { type: 'set', to: `cpe1@${server.domain}/ConnReq` },
        xml('connectionRequest', { xmlns: CONNREQ_NS }, xml('username', {}, 'cr-user'), xml('password', {}, 'cr-pass'))),
      5_000,
    );

    expect(reply.attrs.type).toBe('result');
    expect(received).toEqual([{ from: `acs@${server.domain}/acs`, username: 'cr-user' }]);
  });

  it('answers an IQ to an offline resource with service-unavailable', async () => {
    const attempt = acs.iqCaller.request(
      xml('iq', { type: 'set', to: `nobody@${server.domain}/ConnReq` }, xml('connectionRequest', { xmlns: CONNREQ_NS })),
      5_000,
    );
    await expect(attempt).rejects.toMatchObject({ condition: 'service-unavailable' });
  });

  it('rejects the self-signed certificate unless the client trusts caFile', async () => {
    const untrusting = client({ service: `xmpp://${server.host}:${server.port}`, domain: server.domain, username: 'cpe1', password: 'cpe1-pw' });
    untrusting.on('error', () => undefined);
    online.push(untrusting);
    await expect(untrusting.start()).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/) });
    untrusting.reconnect.stop();
  });

  it('lets a process started with NODE_EXTRA_CA_CERTS=caFile log in over STARTTLS', async () => {
    acs.iqCallee.get('urn:acs:testkit', 'hello', (ctx: IqContext) => xml('hello', { xmlns: 'urn:acs:testkit' }, `hi ${ctx.stanza.attrs.from ?? ''}`));
    await server.register('cpe2', 'cpe2-pw');
    const script = `
      import { client, xml } from '@xmpp/client';
      const [service, domain, to] = process.argv.slice(1);
      const xmpp = client({ service, domain, resource: 'child', username: 'cpe2', password: 'cpe2-pw' });
      xmpp.on('error', () => {});
      await xmpp.start();
      const reply = await xmpp.iqCaller.request(xml('iq', { type: 'get', to }, xml('hello', { xmlns: 'urn:acs:testkit' })), 5000);
      console.log(reply.getChildText('hello', 'urn:acs:testkit'));
      await xmpp.stop();
      process.exit(0);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, `xmpp://${server.host}:${server.port}`, server.domain, `acs@${server.domain}/acs`],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, NODE_OPTIONS: '', NODE_EXTRA_CA_CERTS: server.caFile }, timeout: 20_000 },
    );
    expect(stdout.trim()).toBe(`hi cpe2@${server.domain}/child`);
  });
});

describe('Prosody restart', () => {
  it('comes back on the same ports with the same accounts, closing the streams of connected clients', async () => {
    const server = await startProsody({ users: [{ username: 'cpe1', password: 'cpe1-pw' }] });
    const login = async () => {
      const xmpp = client({ service: `xmpps://${server.host}:${server.directTlsPort}`, domain: server.domain, resource: 'r', username: 'cpe1', password: 'cpe1-pw' });
      trustCa(xmpp, readFileSync(server.caFile), server.domain);
      xmpp.on('error', () => undefined);
      xmpp.reconnect.stop();
      await xmpp.start();
      return xmpp;
    };
    try {
      const before = await login();
      const closed = new Promise((resolve) => before.once('disconnect', resolve));
      const ports = [server.port, server.directTlsPort];
      await server.restart();
      await closed;
      expect([server.port, server.directTlsPort]).toEqual(ports);
      const after = await login();
      await after.stop();
    } finally {
      await server.stop();
    }
  });
});
