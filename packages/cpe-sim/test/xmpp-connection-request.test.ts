import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startProsody, type ProsodyServer } from '@acs/testkit';
import { request } from 'urllib';
import type { Cpe } from '../src/index.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { startXmppAcs, type XmppAcs } from './support/xmpp-acs.js';
import { makeXmppCpe, nextXmppStatus, provisionOn, startLoggedIn } from './support/xmpp-cpe.js';

// Real Prosody; the ACS side is @xmpp/client logged in as acs@acs.test (cwmp-protocol.md §9).
let server: ProsodyServer;
let acsXmpp: XmppAcs;
let acs: TestAcs | undefined;
let cpe: Cpe | undefined;

beforeAll(async () => {
  server = await startProsody({ users: [{ username: 'acs', password: 'acs-pw' }] });
  acsXmpp = await startXmppAcs(server, 'acs', 'acs-pw');
}, 60_000);

afterEach(async () => {
  await cpe?.stop();
  await acs?.close();
  cpe = undefined;
  acs = undefined;
});

afterAll(async () => {
  await acsXmpp?.stop();
  await server?.stop();
});

const codes = (s: { inform: { event: { eventCode: string }[] } } | undefined) => s?.inform.event.map((e) => e.eventCode);
const param = (s: { inform: { parameterList: { name: string; value: string }[] } } | undefined, name: string) =>
  s?.inform.parameterList.find((p) => p.name === name)?.value;

describe('XMPP connection request (TR-069 Annex K) against Prosody', () => {
  it('a TR-181 CPE provisioned by SPV logs in, reports ConnReqJabberID with 4 VALUE CHANGE, and a connection request yields result then 6 CONNECTION REQUEST', async () => {
    await server.register('cpe181', 'cpe181-pw');
    acs = await startTestAcs();
    cpe = makeXmppCpe(server, { acsUrl: acs.url, serial: 'SIM000181' });
    await cpe.start({ inform: false });
    expect((await cpe.inform()).ok).toBe(true);

    const online = nextXmppStatus(cpe, 'Enabled');
    const connection = provisionOn(server, cpe, 'cpe181');
    const jid = await online;
    expect(jid).toBe(`cpe181@${server.domain}/ConnReq`);
    const [, changed] = await acs.waitForSessions(2);
    expect(codes(changed)).toEqual(['4 VALUE CHANGE']);
    expect(param(changed, 'Device.ManagementServer.ConnReqJabberID')).toBe(jid);
    expect(cpe.model.getValue(`${connection}JabberID`)).toBe(jid);
    expect(cpe.model.getValue(`${connection}Status`)).toBe('Enabled');
    expect(cpe.model.getValue(`${connection}TLSEstablished`)).toBe('true');

    expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
    const sessions = await acs.waitForSessions(3);
    expect(codes(sessions[2])).toEqual(['6 CONNECTION REQUEST']);
  });

  it('a TR-098 CPE provisioned in a CWMP session (AddObject Connection and Server, SPV) logs in under its own resource', async () => {
    await server.register('cpe098', 'cpe098-pw');
    acs = await startTestAcs();
    const I = 'InternetGatewayDevice.';
    const c = `${I}XMPP.Connection.1.`;
    const s = (name: string, value: string, type: 'string' | 'boolean' | 'unsignedInt' = 'string') => ({ name, value, type });
    acs.queue(
      'SIM000098',
      { name: 'AddObject', objectName: `${I}XMPP.Connection.`, parameterKey: 'x1' },
      { name: 'AddObject', objectName: `${c}Server.`, parameterKey: 'x2' },
      {
        name: 'SetParameterValues',
        parameterKey: 'x3',
        parameterList: [
          s(`${c}Enable`, 'true', 'boolean'),
          s(`${c}Username`, 'cpe098'),
          s(`${c}Password`, 'cpe098-pw'),
          s(`${c}Domain`, server.domain),
          s(`${c}Resource`, 'cwmp'),
          s(`${c}UseTLS`, 'true', 'boolean'),
          s(`${c}ServerConnectAlgorithm`, 'ServerTable'),
          s(`${c}Server.1.ServerAddress`, server.host),
          s(`${c}Server.1.Port`, String(server.port), 'unsignedInt'),
          s(`${I}ManagementServer.ConnReqXMPPConnection`, `${I}XMPP.Connection.1.`),
          s(`${I}ManagementServer.ConnReqAllowedJabberIDs`, `acs@${server.domain}`),
        ],
      },
    );
    cpe = makeXmppCpe(server, { acsUrl: acs.url, serial: 'SIM000098', model: 'tr098' });
    await cpe.start({ inform: false });
    const online = nextXmppStatus(cpe, 'Enabled');
    const boot = await cpe.inform();
    expect(boot.faults).toEqual([]);
    const jid = await online;
    expect(jid).toBe(`cpe098@${server.domain}/cwmp`);
    const [, changed] = await acs.waitForSessions(2);
    expect(codes(changed)).toEqual(['4 VALUE CHANGE']);
    expect(param(changed, `${I}ManagementServer.ConnReqJabberID`)).toBe(jid);

    expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
    expect(codes((await acs.waitForSessions(3))[2])).toEqual(['6 CONNECTION REQUEST']);
  });

  it('wrong credentials get not-authorized and a sender outside ConnReqAllowedJabberIDs service-unavailable, without a session', async () => {
    await server.register('intruder', 'intruder-pw');
    const intruder = await startXmppAcs(server, 'intruder', 'intruder-pw');
    const otherResource = await startXmppAcs(server, 'acs', 'acs-pw', 'acs-2');
    try {
      acs = await startTestAcs();
      const { cpe: c, jid } = await startLoggedIn(server, 'cpeauth', { acsUrl: acs.url, serial: 'SIM000201', connectionRequest: { rateLimitMs: 0 } });
      cpe = c;
      await acs.waitForSessions(1);

      expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'wrong')).toBe('not-authorized');
      expect(await acsXmpp.connectionRequest(jid, 'someone', 'cr-pass')).toBe('not-authorized');
      expect(await intruder.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('service-unavailable');
      expect(c.pendingEvents().map((e) => e.eventCode)).not.toContain('6 CONNECTION REQUEST');
      expect(acs.sessions).toHaveLength(1);

      // A bare JID in the list allows any of its resources; a full JID only itself.
      expect(await otherResource.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
      await acs.waitForSessions(2);
      c.model.setParameterValues([{ name: 'Device.ManagementServer.ConnReqAllowedJabberIDs', value: `${acsXmpp.jid}, ops@${server.domain}`, type: 'string' }], '');
      expect(await otherResource.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('service-unavailable');
      expect(await acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
      await acs.waitForSessions(3);
      // An empty list lets anyone in.
      c.model.setParameterValues([{ name: 'Device.ManagementServer.ConnReqAllowedJabberIDs', value: '', type: 'string' }], '');
      expect(await intruder.connectionRequest(jid, 'cr-user', 'cr-pass')).toBe('result');
      await acs.waitForSessions(4);
    } finally {
      await intruder.stop();
      await otherResource.stop();
    }
  });

  it('shares the rate limit with HTTP: a second request inside the window gets resource-constraint (or 503), one session follows', async () => {
    acs = await startTestAcs();
    const { cpe: c, jid } = await startLoggedIn(server, 'cpelimit', { acsUrl: acs.url, serial: 'SIM000202', connectionRequest: { rateLimitMs: 60_000 } });
    cpe = c;
    await acs.waitForSessions(1);

    const replies = await Promise.all([acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass'), acsXmpp.connectionRequest(jid, 'cr-user', 'cr-pass')]);
    expect(replies.sort()).toEqual(['resource-constraint', 'result']);
    const http = await request(c.connectionRequestUrl, { method: 'GET', digestAuth: 'cr-user:cr-pass', timeout: 5_000, retry: 0 });
    expect(http.status).toBe(503);
    await acs.waitForSessions(2);
    await c.whenIdle();
    expect(acs.sessions.filter((s) => codes(s)?.includes('6 CONNECTION REQUEST'))).toHaveLength(1);
  });

  it('knobs: wrong-password answers not-authorized, busy resource-constraint, slow late, unreachable never logs in', async () => {
    acs = await startTestAcs();
    const knobs = ['wrong-password', 'busy', 'slow', 'unreachable'] as const;
    const cpes = knobs.map((behaviour, i) => makeXmppCpe(server, { acsUrl: acs?.url ?? '', serial: `SIM00030${i}`, xmpp: { behaviour, slowMs: 300 } }));
    try {
      const jids: string[] = [];
      for (const [i, c] of cpes.entries()) {
        await server.register(`knob${i}`, `knob${i}-pw`);
        await c.start({ inform: false });
        const wanted = nextXmppStatus(c, knobs[i] === 'unreachable' ? 'ServerNotPresent' : 'Enabled');
        provisionOn(server, c, `knob${i}`);
        jids.push(await wanted);
      }
      expect(await acsXmpp.connectionRequest(jids[0] ?? '', 'cr-user', 'cr-pass')).toBe('not-authorized');
      expect(await acsXmpp.connectionRequest(jids[1] ?? '', 'cr-user', 'cr-pass')).toBe('resource-constraint');
      const t0 = Date.now();
      expect(await acsXmpp.connectionRequest(jids[2] ?? '', 'cr-user', 'cr-pass')).toBe('result');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      // Never logged in: nothing published, and the server itself answers for the absent resource.
      expect(jids[3]).toBe('');
      expect(cpes[3]?.model.getValue('Device.ManagementServer.ConnReqJabberID')).toBe('');
      expect(await acsXmpp.connectionRequest(`knob3@${server.domain}/ConnReq`, 'cr-user', 'cr-pass')).toBe('service-unavailable');
    } finally {
      for (const c of cpes) await c.stop();
    }
  });
});
