import { afterEach, describe, expect, it } from '@jest/globals';
import { createSocket } from 'node:dgram';
import { CONNECTION_REQUEST_BINDING_VALUE, MAGIC_COOKIE, encodeBindingResponse, newTransactionId } from '@acs/stun';
import { provisionStun, type Cpe } from '../src/index.js';
import { makeCpe } from './support/make-cpe.js';
import { startStunResponder, type StunResponder } from './support/stun-responder.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { waitFor } from './support/wait-for.js';

// Real UDP sockets on 127.0.0.1: the CPE's STUN client against a responder written on @acs/stun (cwmp-protocol.md §8.2).
let stun: StunResponder | undefined;
let acs: TestAcs | undefined;
let cpe: Cpe | undefined;

afterEach(async () => {
  await cpe?.stop();
  await stun?.close();
  await acs?.close();
  cpe = stun = acs = undefined;
});

const MS = 'Device.ManagementServer.';

async function boundCpe(opts: { keepAliveMs?: number; username?: string; password?: string; legacy?: boolean; retransmitMs?: number } = {}) {
  stun = await startStunResponder();
  acs = await startTestAcs();
  const c = makeCpe({ acsUrl: acs.url, stun: { keepAliveMs: opts.keepAliveMs ?? 60_000, legacy: opts.legacy, retransmitMs: opts.retransmitMs } });
  cpe = c;
  await c.start({ inform: false });
  provisionStun(c.model, { server: { address: '127.0.0.1', port: stun.port }, username: opts.username, password: opts.password });
  return c;
}

const waitBound = (c: Cpe) => waitFor(() => c.stun?.status === 'Bound', 5_000, () => `STUN status Bound (is ${c.stun?.status})`);

describe('STUN client (TR-111 Part 2)', () => {
  it('sends legacy Binding Requests from the UDP connection-request port with CONNECTION-REQUEST-BINDING and USERNAME, and publishes the binding', async () => {
    const c = await boundCpe({ username: 'sim000001' });
    await waitBound(c);
    const [first] = stun!.requests;
    expect(first!.message.legacy).toBe(true);
    expect(first!.raw.readUInt32BE(4)).not.toBe(MAGIC_COOKIE);
    expect(first!.message.connectionRequestBinding).toBe(true);
    expect(first!.raw.includes(CONNECTION_REQUEST_BINDING_VALUE)).toBe(true);
    expect(first!.message.username).toBe('sim000001');
    expect(first!.message.hasIntegrity).toBe(false);
    expect(first!.message.bindingChange).toBe(false);
    // Sent from the socket that takes UDP connection requests.
    expect(first!.from).toEqual(c.stun!.localAddress);
    const local = c.stun!.localAddress!;
    expect(local.address).toBe('127.0.0.1');
    expect(c.model.getValue(`${MS}UDPConnectionRequestAddress`)).toBe(`127.0.0.1:${local.port}`);
    expect(c.model.getValue(`${MS}NATDetected`)).toBe('false');
    expect(c.stun!.url).toBe(`127.0.0.1:${local.port}`);
    expect(c.stun!.counters).toMatchObject({ bindingRequests: 1, bindingResponses: 1, bindingChanges: 0 });
  });

  it('sets NATDetected when the mapped address is not the socket\'s own, and sends RFC 5389 requests when told to', async () => {
    stun = await startStunResponder();
    stun.mapTo = () => ({ address: '198.51.100.7', port: 40123 });
    const c = await boundCpeOn(stun, { legacy: false });
    await waitBound(c);
    expect(c.model.getValue(`${MS}UDPConnectionRequestAddress`)).toBe('198.51.100.7:40123');
    expect(c.model.getValue(`${MS}NATDetected`)).toBe('true');
    expect(stun.requests[0]!.message.legacy).toBe(false);
    // No STUNUsername: no USERNAME.
    expect(stun.requests[0]!.message.username).toBeUndefined();
  });

  it('answers a 401 at once with USERNAME + MESSAGE-INTEGRITY (RFC 3489 variant) and keeps sending integrity', async () => {
    const c = await boundCpe({ username: 'sim000001', password: 'stun-pw', keepAliveMs: 30 });
    stun!.requirePassword = 'stun-pw';
    await waitFor(() => stun!.requests.filter((r) => r.integrity !== null).length >= 3, 5_000, () => 'three signed requests after a 401');
    expect(stun!.requests[0]!.message.hasIntegrity).toBe(false);
    const signed = stun!.requests.filter((r) => r.message.hasIntegrity);
    expect(signed.length).toBeGreaterThanOrEqual(3);
    for (const r of signed) {
      expect(r.integrity).toBe('rfc3489');
      expect(r.message.username).toBe('sim000001');
    }
    const firstSigned = stun!.requests.findIndex((r) => r.message.hasIntegrity);
    // Every request after the first signed one is signed.
    expect(stun!.requests.slice(firstSigned).every((r) => r.message.hasIntegrity)).toBe(true);
    expect(c.stun!.counters.unauthorized).toBe(1);
    expect(c.stun!.status).toBe('Bound');
  });

  it('backs off after repeated 401s to signed requests instead of spinning', async () => {
    const keepAliveMs = 20;
    const c = await boundCpe({ username: 'sim000001', password: 'wrong', keepAliveMs });
    stun!.requirePassword = 'stun-pw';
    await waitFor(() => stun!.requests.filter((r) => r.message.hasIntegrity).length >= 4, 5_000, () => 'four signed requests');
    const signed = stun!.requests.filter((r) => r.message.hasIntegrity);
    expect(signed.every((r) => r.integrity === null)).toBe(true);
    // After the n-th refused signed request the next waits the period × 2^n (timers never fire early).
    expect(signed[1]!.at - signed[0]!.at).toBeGreaterThanOrEqual(keepAliveMs * 2 - 10);
    expect(signed[2]!.at - signed[1]!.at).toBeGreaterThanOrEqual(keepAliveMs * 4 - 10);
    expect(signed[3]!.at - signed[2]!.at).toBeGreaterThanOrEqual(keepAliveMs * 8 - 10);
    expect(c.stun!.counters.unauthorized).toBeGreaterThanOrEqual(4);
    expect(c.stun!.status).not.toBe('Bound');
  });

  it('keeps the binding alive every keep-alive period', async () => {
    const c = await boundCpe({ keepAliveMs: 25 });
    await stun!.waitForRequests(4);
    expect(c.stun!.counters.bindingRequests).toBeGreaterThanOrEqual(4);
    const ids = new Set(stun!.requests.map((r) => r.message.transactionId.toString('hex')));
    expect(ids.size).toBe(stun!.requests.length);
  });

  it('derives the period from STUNMaximum/MinimumKeepAlivePeriod in protocol seconds', async () => {
    stun = await startStunResponder();
    acs = await startTestAcs();
    // One protocol second = 20 ms; maximum 2 s: a request every 40 ms.
    cpe = makeCpe({ acsUrl: acs.url, stun: {} });
    await cpe.start({ inform: false });
    provisionStun(cpe.model, { server: { address: '127.0.0.1', port: stun.port }, maxKeepAliveS: 2, minKeepAliveS: 1 });
    await stun.waitForRequests(3);
    const [a, b, d] = stun.requests;
    // 40 ms apart (not 20, the minimum; not 600, the default without a maximum), less the delivery jitter.
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(30);
    expect(d!.at - b!.at).toBeGreaterThanOrEqual(30);
    expect(d!.at - a!.at).toBeLessThan(600);
  });

  it('retransmits an unanswered request with the same transaction id, doubling the wait', async () => {
    stun = await startStunResponder();
    stun.drop = 2;
    const c = await boundCpeOn(stun, { retransmitMs: 20 });
    await waitBound(c);
    const [a, b, d] = stun.requests;
    expect(b!.message.transactionId).toEqual(a!.message.transactionId);
    expect(d!.message.transactionId).toEqual(a!.message.transactionId);
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(18);
    expect(d!.at - b!.at).toBeGreaterThanOrEqual(38);
    expect(c.stun!.counters).toMatchObject({ bindingRequests: 1, retransmissions: 2, bindingResponses: 1 });
  });

  it('gives an unanswered transaction up after the last retransmission', async () => {
    stun = await startStunResponder();
    stun.drop = 1_000;
    const c = await boundCpeOn(stun, { retransmitMs: 5 });
    await waitFor(() => c.stun!.counters.timeouts === 1, 5_000, () => 'a timed-out transaction');
    expect(stun.requests).toHaveLength(5);
    expect(c.stun!.counters.retransmissions).toBe(4);
    expect(c.stun!.status).toBe('Binding');
  });

  it('on a new mapped address sends BINDING-CHANGE at once and informs 4 VALUE CHANGE when UDPConnectionRequestAddress has active notification', async () => {
    stun = await startStunResponder();
    acs = await startTestAcs();
    let publicPort = 40_001;
    stun.mapTo = () => ({ address: '198.51.100.7', port: publicPort });
    // The ACS turns STUN on in the boot session: active notification, then the STUN parameters.
    acs.queue(
      'SIM000001',
      { name: 'SetParameterAttributes', parameterList: [{ name: `${MS}UDPConnectionRequestAddress`, notificationChange: true, notification: 2, accessListChange: false, accessList: [] }] },
      {
        name: 'SetParameterValues',
        parameterKey: 'stun-1',
        parameterList: [
          { name: `${MS}STUNEnable`, value: 'true', type: 'boolean' },
          { name: `${MS}STUNServerAddress`, value: '127.0.0.1', type: 'string' },
          { name: `${MS}STUNServerPort`, value: String(stun.port), type: 'unsignedInt' },
        ],
      },
    );
    const c = makeCpe({ acsUrl: acs.url, stun: { keepAliveMs: 30 } });
    cpe = c;
    await c.start();
    const [, first] = await acs.waitForSessions(2);
    expect(first!.inform.event.map((e) => e.eventCode)).toEqual(['4 VALUE CHANGE']);
    expect(first!.inform.parameterList.find((p) => p.name === `${MS}UDPConnectionRequestAddress`)?.value).toBe('198.51.100.7:40001');
    expect(stun.requests.every((r) => !r.message.bindingChange)).toBe(true);

    // The NAT moves the mapping: the next keep-alive sees it.
    publicPort = 40_002;
    await waitFor(() => stun!.requests.some((r) => r.message.bindingChange), 5_000, () => 'a BINDING-CHANGE request');
    const change = stun.requests.find((r) => r.message.bindingChange)!;
    expect(change.message.connectionRequestBinding).toBe(true);
    const [, , second] = await acs.waitForSessions(3);
    expect(second!.inform.event.map((e) => e.eventCode)).toEqual(['4 VALUE CHANGE']);
    expect(second!.inform.parameterList.find((p) => p.name === `${MS}UDPConnectionRequestAddress`)?.value).toBe('198.51.100.7:40002');
    expect(c.stun!.counters.bindingChanges).toBe(1);
    // Answered: the keep-alives after it do not carry BINDING-CHANGE again.
    const at = stun.requests.indexOf(change);
    await stun.waitForRequests(at + 3);
    expect(stun.requests.slice(at + 1).map((r) => r.message.bindingChange)).toEqual(stun.requests.slice(at + 1).map(() => false));
  });

  it('ignores stray and malformed datagrams: unknown transaction ids, truncated STUN, garbage', async () => {
    const c = await boundCpe();
    await waitBound(c);
    const local = c.stun!.localAddress!;
    const before = c.model.getValue(`${MS}UDPConnectionRequestAddress`);
    const stray = encodeBindingResponse({ transactionId: newTransactionId(true), legacy: true }, { address: '203.0.113.9', port: 9 });
    for (const d of [stray, stray.subarray(0, 24), Buffer.from([0, 1, 0, 4, 1, 2]), Buffer.alloc(0), Buffer.from('GET / HTTP/1.1\r\n\r\n')]) {
      await stun!.send(d, local);
    }
    await waitFor(() => c.stun!.counters.udpConnectionRequests.invalid === 4, 5_000, () => 'the non-STUN datagrams counted as invalid');
    expect(c.model.getValue(`${MS}UDPConnectionRequestAddress`)).toBe(before);
    expect(c.stun!.status).toBe('Bound');
  });

  it('works the same on TR-098 (InternetGatewayDevice.ManagementServer.), and stop() closes the socket', async () => {
    stun = await startStunResponder();
    acs = await startTestAcs();
    const c = makeCpe({ acsUrl: acs.url, model: 'tr098', stun: { keepAliveMs: 20 } });
    cpe = c;
    await c.start({ inform: false });
    provisionStun(c.model, { server: { address: '127.0.0.1', port: stun.port }, username: 'igd' });
    await waitBound(c);
    const local = c.stun!.localAddress!;
    expect(c.model.getValue('InternetGatewayDevice.ManagementServer.UDPConnectionRequestAddress')).toBe(`127.0.0.1:${local.port}`);
    expect(stun.requests[0]!.message.username).toBe('igd');
    await c.stop();
    expect(c.stun!.status).toBe('Disabled');
    await expectPortFree(local.port);
    // Published values stay: a stopped CPE is switched off, not reconfigured.
    expect(c.model.getValue('InternetGatewayDevice.ManagementServer.UDPConnectionRequestAddress')).toBe(`127.0.0.1:${local.port}`);
  });

  it('STUNEnable false closes the socket, stops the keep-alives and clears the published address', async () => {
    const c = await boundCpe({ keepAliveMs: 20 });
    await waitBound(c);
    const local = c.stun!.localAddress!;
    c.model.setParameterValues([{ name: `${MS}STUNEnable`, value: 'false', type: 'boolean' }], '');
    await waitFor(() => c.stun!.status === 'Disabled', 5_000, () => 'STUN status Disabled');
    await c.stun!.settled();
    expect(c.stun!.localAddress).toBeUndefined();
    expect(c.model.getValue(`${MS}UDPConnectionRequestAddress`)).toBe('');
    expect(c.model.getValue(`${MS}NATDetected`)).toBe('false');
    await expectPortFree(local.port);
    const sent = c.stun!.counters.bindingRequests;
    // Turned on again, it binds anew.
    c.model.setParameterValues([{ name: `${MS}STUNEnable`, value: 'true', type: 'boolean' }], '');
    await waitBound(c);
    expect(c.stun!.counters.bindingRequests).toBeGreaterThan(sent);
  });
});

async function boundCpeOn(responder: StunResponder, stunOpts: { legacy?: boolean; retransmitMs?: number }): Promise<Cpe> {
  acs = await startTestAcs();
  const c = makeCpe({ acsUrl: acs.url, stun: { keepAliveMs: 60_000, ...stunOpts } });
  cpe = c;
  await c.start({ inform: false });
  provisionStun(c.model, { server: { address: '127.0.0.1', port: responder.port } });
  return c;
}

/** The port can be bound again: whoever held it has closed its socket. */
async function expectPortFree(port: number): Promise<void> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.bind({ port, address: '127.0.0.1', exclusive: true }, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
