import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startProsody, type ProsodyServer } from '@acs/testkit';
import type { Cpe, XmppStatus } from '../src/index.js';
import { makeCpe } from './support/make-cpe.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { startXmppAcs, type XmppAcs } from './support/xmpp-acs.js';
import { nextXmppStatus, provisionOn, startLoggedIn } from './support/xmpp-cpe.js';

// How a CPE's XMPP login follows its configuration and the server, against real Prosody.
let server: ProsodyServer;
let acsXmpp: XmppAcs;
let acs: TestAcs;
let cpe: Cpe | undefined;

beforeAll(async () => {
  server = await startProsody({ users: [{ username: 'acs', password: 'acs-pw' }] });
  acsXmpp = await startXmppAcs(server, 'acs', 'acs-pw');
}, 60_000);

beforeEach(async () => {
  acs = await startTestAcs();
});

afterEach(async () => {
  await cpe?.stop();
  cpe = undefined;
  await acs.close();
});

afterAll(async () => {
  await acsXmpp?.stop();
  await server?.stop();
});

/** A started CPE logged in as `username` (stopped after the test). */
async function online(username: string, serial: string): Promise<{ cpe: Cpe; jid: string; connection: string }> {
  const started = await startLoggedIn(server, username, { acsUrl: acs.url, serial, connectionRequest: { rateLimitMs: 0 } });
  cpe = started.cpe;
  return started;
}

const spv = (c: Cpe, name: string, value: string, type: 'string' | 'boolean' | 'long' = 'string') =>
  expect(c.model.setParameterValues([{ name, value, type }], '')).toMatchObject({ name: 'SetParameterValuesResponse' });

function record(c: Cpe): XmppStatus[] {
  const seen: XmppStatus[] = [];
  c.xmpp?.onStatus((s) => seen.push(s));
  return seen;
}

describe('XMPP login lifecycle', () => {
  it('a password re-registered on the server: the old one fails (Error_AuthenticationFailure), an SPV of the new one logs in again', async () => {
    const { cpe: c, jid, connection } = await online('cpepw', 'SIM000401');
    // Changing the account's password leaves the bound stream alone; the next login needs the new one.
    await server.register('cpepw', 'renewed-pw');
    const failed = nextXmppStatus(c, 'Error_AuthenticationFailure');
    spv(c, `${connection}Resource`, 'ConnReq2');
    await failed;
    expect(c.model.getValue(`${connection}Status`)).toBe('Error_AuthenticationFailure');
    // The ACS knew the JID from before: it is kept while the connection is not disabled.
    expect(c.model.getValue('Device.ManagementServer.ConnReqJabberID')).toBe(jid);

    const seen = record(c);
    const back = nextXmppStatus(c, 'Enabled');
    spv(c, `${connection}Password`, 'renewed-pw');
    const jid2 = await back;
    expect(seen).toEqual(['Connecting', 'Enabled']);
    expect(jid2).toBe(`cpepw@${server.domain}/ConnReq2`);
    expect(c.model.getValue('Device.ManagementServer.ConnReqJabberID')).toBe(jid2);
    expect(await acsXmpp.connectionRequest(jid2, 'cr-user', 'cr-pass')).toBe('result');
  });

  it('Enable=false logs out (Status Disabled, ConnReqJabberID emptied, the server answers for the JID); Enable=true logs in again', async () => {
    const { cpe: c, jid, connection } = await online('cpeoff', 'SIM000402');
    await c.whenIdle();
    const before = acs.sessions.length;
    const off = nextXmppStatus(c, 'Disabled');
    spv(c, `${connection}Enable`, 'false', 'boolean');
    await off;
    expect(c.model.getValue(`${connection}JabberID`)).toBe('');
    expect(c.model.getValue('Device.ManagementServer.ConnReqJabberID')).toBe('');
    expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('service-unavailable');
    // The emptied ConnReqJabberID is an active-notification change too.
    const sessions = await acs.waitForSessions(before + 1);
    expect(sessions[before]?.inform.parameterList).toContainEqual({ name: 'Device.ManagementServer.ConnReqJabberID', value: '', type: 'string' });

    const on = nextXmppStatus(c, 'Enabled');
    spv(c, `${connection}Enable`, 'true', 'boolean');
    expect(await on).toBe(jid);
    expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
  });

  it('a dropped stream is logged in again: another login with the same full JID kicks the CPE, which reconnects', async () => {
    const { cpe: c, jid } = await online('cpedrop', 'SIM000403');
    const seen = record(c);
    const back = nextXmppStatus(c, 'Enabled');
    // Prosody resolves the resource conflict by closing the older stream: the CPE's.
    const imposter = await startXmppAcs(server, 'cpedrop', 'cpedrop-pw', 'ConnReq');
    try {
      expect(await back).toBe(jid);
      expect(seen).toEqual(['Connecting', 'Enabled']);
      // ConnReqJabberID did not move, so no value-change session was needed.
      expect(c.model.getValue('Device.ManagementServer.ConnReqJabberID')).toBe(jid);
      expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
    } finally {
      await imposter.stop();
    }
  });

  it('keeps the stream alive with pings at KeepAliveInterval and follows a new interval without logging in again', async () => {
    const { cpe: c, jid, connection } = await online('cpeping', 'SIM000404');
    const seen = record(c);
    // One protocol second is 20 ms here: a ping every 20 ms, answered by Prosody's mod_ping.
    spv(c, `${connection}KeepAliveInterval`, '1', 'long');
    expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
    await c.whenIdle();
    expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
    expect(seen).toEqual([]);
    expect(c.model.getValue(`${connection}Status`)).toBe('Enabled');
  });

  it('a server gone silent is noticed by the keep-alive ping: the CPE drops the stream and logs in again once it answers', async () => {
    const proxy = await startTcpProxy(server.port);
    try {
      const { cpe: c, jid } = await startLoggedIn(server, 'cpesilent', {
        acsUrl: acs.url,
        serial: 'SIM000408',
        xmpp: { timeoutMs: 400 },
        provision: { server: { address: '127.0.0.1', port: proxy.port }, keepAliveS: 1 },
      });
      cpe = c;
      const seen = record(c);
      const dropped = nextXmppStatus(c, 'Connecting');
      // Nothing is closed: only an unanswered ping can tell the CPE the stream is dead.
      proxy.freeze();
      await dropped;
      const back = nextXmppStatus(c, 'Enabled');
      proxy.resume();
      expect(await back).toBe(jid);
      expect(seen[0]).toBe('Connecting');
      expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
    } finally {
      await cpe?.stop();
      await proxy.close();
    }
  });

  it('without the server CA the STARTTLS handshake fails: Status Error and no JabberID', async () => {
    await server.register('cpenoca', 'cpenoca-pw');
    const c = makeCpe({ acsUrl: acs.url, serial: 'SIM000405' });
    cpe = c;
    await c.start({ inform: false });
    const failed = nextXmppStatus(c, 'Error');
    const connection = provisionOn(server, c, 'cpenoca');
    await failed;
    expect(c.model.getValue(`${connection}JabberID`)).toBe('');
    expect(c.xmpp?.url).toBe('');
  });

  it('FactoryReset and stop() log out', async () => {
    const first = await online('cpereset', 'SIM000406');
    // Its value-change session first, so the FactoryReset goes to the session below.
    await first.cpe.whenIdle();
    acs.queue('SIM000406', { name: 'FactoryReset' });
    const off = nextXmppStatus(first.cpe, 'Disabled');
    expect((await first.cpe.inform()).rpcs).toEqual(['FactoryReset']);
    await off;
    expect(first.cpe.model.has(first.connection)).toBe(false);
    expect(await acsXmpp.connectionRequest(first.jid, 'cr-user', 'cr-pass')).toBe('service-unavailable');
    await first.cpe.stop();

    const second = await online('cpestop', 'SIM000407');
    await second.cpe.stop();
    expect(await acsXmpp.connectionRequest(second.jid, 'cr-user', 'cr-pass')).toBe('service-unavailable');
  });
});
