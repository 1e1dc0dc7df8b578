import { afterEach, describe, expect, it } from '@jest/globals';
import { encodeUdpConnectionRequest, newUdpConnectionRequestFields, type UdpConnectionRequestFields } from '@acs/stun';
import { createFleet, provisionStun, type Cpe, type Fleet } from '../src/index.js';
import { makeCpe } from './support/make-cpe.js';
import { startStunResponder, type StunResponder } from './support/stun-responder.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { waitFor } from './support/wait-for.js';

// Annex G signed datagrams to the CPE's STUN socket, sent from the STUN server's socket as an ACS does (cwmp-protocol.md §8.3).
let stun: StunResponder | undefined;
let acs: TestAcs | undefined;
let cpe: Cpe | undefined;
let fleet: Fleet | undefined;

afterEach(async () => {
  await cpe?.stop();
  await fleet?.stop();
  await stun?.close();
  await acs?.close();
  cpe = stun = acs = fleet = undefined;
});

const codes = (s: { inform: { event: { eventCode: string }[] } }) => s.inform.event.map((e) => e.eventCode);
const crSessions = () => acs!.sessions.filter((s) => codes(s).includes('6 CONNECTION REQUEST'));

/** A CPE that has booted and holds a STUN binding; its CR credentials are cr-user / cr-pass. */
async function boundCpe(): Promise<Cpe> {
  stun = await startStunResponder();
  acs = await startTestAcs();
  const c = makeCpe({ acsUrl: acs.url, connectionRequest: { rateLimitMs: 0 }, stun: { keepAliveMs: 60_000 } });
  cpe = c;
  await c.start();
  await acs.waitForSessions(1);
  provisionStun(c.model, { server: { address: '127.0.0.1', port: stun.port } });
  await waitFor(() => c.stun?.status === 'Bound', 5_000, () => 'STUN status Bound');
  return c;
}

/** Sends `copies` identical datagrams and waits until the CPE has judged them all. */
async function poke(c: Cpe, fields: UdpConnectionRequestFields, password: string, copies = 1): Promise<void> {
  const to = c.stun!.localAddress!;
  const judged = () => Object.values(c.stun!.counters.udpConnectionRequests).reduce((a, b) => a + b, 0);
  const before = judged();
  const datagram = encodeUdpConnectionRequest({ host: to.address, port: to.port }, fields, password);
  for (let i = 0; i < copies; i++) await stun!.send(datagram, to);
  await waitFor(() => judged() === before + copies, 5_000, () => `${copies} datagram(s) judged`);
}

describe('UDP connection request (TR-069 Annex G)', () => {
  it('a signed request sent three times opens exactly one 6 CONNECTION REQUEST session', async () => {
    const c = await boundCpe();
    await poke(c, newUdpConnectionRequestFields('cr-user', Date.now()), 'cr-pass', 3);
    expect(c.stun!.counters.udpConnectionRequests).toMatchObject({ accepted: 1, duplicate: 2 });
    const [, session] = await acs!.waitForSessions(2);
    expect(codes(session!)).toEqual(['6 CONNECTION REQUEST']);
    await c.whenIdle();
    expect(crSessions()).toHaveLength(1);
  });

  it('a wrong password, a wrong username and garbage are counted and open no session', async () => {
    const c = await boundCpe();
    await poke(c, newUdpConnectionRequestFields('cr-user', Date.now()), 'not-the-password');
    await poke(c, newUdpConnectionRequestFields('someone-else', Date.now() + 1_000), 'cr-pass');
    await stun!.send(Buffer.from('GET http://127.0.0.1:1?ts=x HTTP/1.1\r\n\r\n'), c.stun!.localAddress!);
    await waitFor(() => c.stun!.counters.udpConnectionRequests.invalid === 1, 5_000, () => 'the garbage counted');
    expect(c.stun!.counters.udpConnectionRequests).toMatchObject({ accepted: 0, bad_signature: 1, bad_username: 1, invalid: 1 });
    expect(c.pendingEvents().map((e) => e.eventCode)).not.toContain('6 CONNECTION REQUEST');
    await c.whenIdle();
    expect(acs!.sessions).toHaveLength(1);
  });

  it('a replay of an old accepted request, after a newer one, is stale: no second session for it', async () => {
    const c = await boundCpe();
    const now = Date.now();
    const old = { ...newUdpConnectionRequestFields('cr-user', now - 10_000) };
    const newer = { ...newUdpConnectionRequestFields('cr-user', now - 5_000) };
    await poke(c, old, 'cr-pass');
    await acs!.waitForSessions(2);
    await poke(c, newer, 'cr-pass');
    await acs!.waitForSessions(3);
    await poke(c, old, 'cr-pass');
    // Too old for the CPE's clock as well.
    await poke(c, newUdpConnectionRequestFields('cr-user', now - 3_600_000), 'cr-pass');
    expect(c.stun!.counters.udpConnectionRequests).toMatchObject({ accepted: 2, stale: 2 });
    await c.whenIdle();
    expect(crSessions()).toHaveLength(2);
  });

  it('shares the connection-request rate limit with HTTP and XMPP', async () => {
    stun = await startStunResponder();
    acs = await startTestAcs();
    const c = makeCpe({ acsUrl: acs.url, connectionRequest: { rateLimitMs: 60_000 }, stun: { keepAliveMs: 60_000 } });
    cpe = c;
    await c.start({ inform: false });
    provisionStun(c.model, { server: { address: '127.0.0.1', port: stun.port } });
    await waitFor(() => c.stun?.status === 'Bound', 5_000, () => 'STUN status Bound');
    const now = Date.now();
    await poke(c, newUdpConnectionRequestFields('cr-user', now - 2_000), 'cr-pass');
    await poke(c, newUdpConnectionRequestFields('cr-user', now - 1_000), 'cr-pass');
    expect(c.stun!.counters.udpConnectionRequests).toMatchObject({ accepted: 1, rate_limited: 1 });
    await acs.waitForSessions(1);
    await c.whenIdle();
    expect(crSessions()).toHaveLength(1);
  });

  it('a fleet provisioned for STUN binds every CPE, takes UDP requests and sums the counters in stunStatus()', async () => {
    stun = await startStunResponder();
    acs = await startTestAcs();
    fleet = createFleet({
      acsUrl: acs.url,
      count: 2,
      serialPrefix: 'STN',
      connectionRequest: { host: '127.0.0.1' },
      xmpp: false,
      stun: { keepAliveMs: 60_000, provision: { server: { address: '127.0.0.1', port: stun.port }, username: 'stun-{serial}' } },
    });
    await fleet.start();
    await waitFor(() => fleet!.stunStatus().bound === 2, 5_000, () => `2 bound CPEs (${JSON.stringify(fleet!.stunStatus().status)})`);
    expect(new Set(stun.requests.map((r) => r.message.username))).toEqual(new Set(['stun-STN000001', 'stun-STN000002']));
    const [first] = fleet.cpes;
    await poke(first!, newUdpConnectionRequestFields('cr-STN000001', Date.now()), 'cr-secret', 2);
    await acs.waitForSessions(1);
    const status = fleet.stunStatus();
    expect(status).toMatchObject({ bound: 2, status: { Bound: 2 }, bindingRequests: 2, bindingResponses: 2 });
    expect(status.udpConnectionRequests).toMatchObject({ accepted: 1, duplicate: 1, stale: 0, bad_signature: 0, bad_username: 0, invalid: 0 });
    expect(codes(acs.sessions[0]!)).toContain('6 CONNECTION REQUEST');
  });
});
