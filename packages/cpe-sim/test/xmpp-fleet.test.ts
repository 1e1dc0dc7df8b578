import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startProsody, type ProsodyServer } from '@acs/testkit';
import { createFleet, xmppUsernameFor, type Fleet } from '../src/index.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { startXmppAcs, type XmppAcs } from './support/xmpp-acs.js';
import { nextXmppStatus } from './support/xmpp-cpe.js';

const COUNT = 6;
const serials = Array.from({ length: COUNT }, (_, i) => `XF${String(i + 1).padStart(6, '0')}`);
let server: ProsodyServer;
let acs: TestAcs;
let acsXmpp: XmppAcs;
let fleet: Fleet | undefined;

beforeAll(async () => {
  server = await startProsody({
    users: [{ username: 'acs', password: 'acs-pw' }, ...serials.map((s) => ({ username: xmppUsernameFor(s), password: 'fleet-xmpp' }))],
  });
  acsXmpp = await startXmppAcs(server, 'acs', 'acs-pw');
  acs = await startTestAcs();
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await acsXmpp?.stop();
  await acs?.close();
  await server?.stop();
});

describe('a fleet provisioned for XMPP connection requests', () => {
  it('logs every CPE in through shared login slots, counts their statuses, and a connection request reaches the addressed CPE', async () => {
    fleet = createFleet({
      acsUrl: acs.url,
      count: COUNT,
      serialPrefix: 'XF',
      secondMs: 20,
      xmpp: {
        caFile: server.caFile,
        loginConcurrency: 2,
        provision: { password: 'fleet-xmpp', domain: server.domain, server: { address: server.host, port: server.port }, allowedJabberIds: [acsXmpp.jid] },
      },
    });
    await fleet.start();
    const jids = await Promise.all(fleet.cpes.map((c) => nextXmppStatus(c, 'Enabled')));
    expect(jids).toEqual(serials.map((s) => `${s.toLowerCase()}@${server.domain}/ConnReq`));
    expect(fleet.xmppStatus()).toEqual({ Enabled: COUNT });

    await Promise.all(fleet.cpes.map((c) => c.whenIdle()));
    const before = acs.sessions.length;
    expect(await acsXmpp.connectionRequest(jids[3] ?? '', `cr-${serials[3]}`, 'cr-secret')).toBe('result');
    const sessions = await acs.waitForSessions(before + 1);
    expect(sessions[before]?.inform.deviceId.serialNumber).toBe(serials[3]);
    expect(sessions[before]?.inform.event.map((e) => e.eventCode)).toContain('6 CONNECTION REQUEST');

    await fleet.stop();
    expect(await acsXmpp.connectionRequest(jids[0] ?? '', `cr-${serials[0]}`, 'cr-secret')).toBe('service-unavailable');
    fleet = undefined;
  });
});
