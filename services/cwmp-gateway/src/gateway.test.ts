import { gzipSync } from 'node:zlib';
import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { BusMessage } from '@acs/bus';
import { decode, type CwmpEnvelope, type Fault } from '@acs/cwmp';
import {
  DEVICE_ID,
  envelope,
  httpRequest,
  informXml,
  startGateways,
  TestCpe,
  until,
  type Harness,
} from '../test/support/harness.js';
import { FakeRegistry } from '../test/support/fake-registry.js';

const CREDS = { username: 'cpe1', password: 'Circle Of Life' };

function parsed(body: string): CwmpEnvelope {
  const d = decode(body);
  if (d.kind === 'empty') throw new Error('empty body');
  return d.envelope;
}

function registryWithCpe(): FakeRegistry {
  return new FakeRegistry().addCredential(CREDS.username, { password: CREDS.password, deviceId: DEVICE_ID });
}

function collect(h: Harness, pattern: string): BusMessage[] {
  const got: BusMessage[] = [];
  h.observer.subscribe(pattern, (m) => {
    got.push(m);
  });
  return got;
}

const json = (m: BusMessage) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown>;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('authentication', () => {
  it('challenges an Inform without credentials with Digest qop=auth, framed and without a session', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const res = await httpRequest(harness.urls[0] as string, { body: informXml() });
    expect(res.status).toBe(401);
    const challenge = res.distinct['www-authenticate'] ?? [];
    expect(challenge).toHaveLength(1);
    expect(challenge[0]).toMatch(/^Digest realm="acs", nonce="[^"]+", algorithm="MD5", qop="auth"$/);
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('accepts the Digest answer and forwards the proof (never a password) to the registry', async () => {
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    const res = await cpe.open();
    expect(res.status).toBe(200);
    const verify = registry.calls.find((c) => c.method === 'verifyCredentials')?.req as { proof: Record<string, unknown>; deviceId: string };
    expect(verify.deviceId).toBe(DEVICE_ID);
    expect(verify.proof).toMatchObject({ scheme: 'digest', realm: 'acs', uri: '/cwmp/', method: 'POST', qop: 'auth', nc: '00000001' });
    expect(JSON.stringify(verify)).not.toContain(CREDS.password);
  });

  it('answers an expired nonce with stale=true without counting a failed login', async () => {
    let t = Date.now();
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry, now: () => t, settings: { nonceTtlMs: 60_000, authFailLimit: 1 } });
    const cpe = new TestCpe(harness.urls, CREDS);
    expect((await cpe.post(informXml())).status).toBe(401);
    t += 61_000;
    const stale = await cpe.post(informXml(), { headers: { Authorization: cpe.digestFor('/cwmp/') } });
    expect(stale.status).toBe(401);
    expect(stale.distinct['www-authenticate']?.[0]).toContain('stale="true"');
    expect(registry.calls.filter((c) => c.method === 'verifyCredentials')).toHaveLength(0);
    // With a limit of one failure, a counted failure would now block this IP; the fresh nonce works instead.
    const ok = await cpe.post(informXml(), { headers: { Authorization: cpe.digestFor('/cwmp/') } });
    expect(ok.status).toBe(200);
  });

  it('refuses a wrong password with 401 + Connection: close, then rate-limits the source with 503 + Retry-After', async () => {
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry, settings: { authFailLimit: 2, retryAfterS: 17 } });
    const cpe = new TestCpe(harness.urls, { username: CREDS.username, password: 'wrong' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      await cpe.post(informXml());
      const res = await cpe.post(informXml(), { headers: { Authorization: cpe.digestFor('/cwmp/') } });
      statuses.push(res.status);
      if (res.status === 401) expect(res.headers.connection).toBe('close');
      if (res.status === 503) expect(res.headers['retry-after']).toBe('17');
    }
    expect(statuses).toEqual([401, 401, 503]);
    // The block holds even for the right password from the same source (it is per IP and per username).
    const good = new TestCpe(harness.urls, CREDS);
    const blocked = await good.open();
    expect(blocked.status).toBe(503);
    expect(harness.logs.withCode('AUTH_FAILED')).toHaveLength(2);
    expect(harness.logs.withCode('TOO_MANY_FAILED_LOGINS')).toHaveLength(2);
    expect(harness.logs.withCode('TOO_MANY_FAILED_LOGINS')[0]).toMatchObject({ deviceId: DEVICE_ID, sourceIp: '127.0.0.1', status: 503 });
  });

  it('refuses Basic over plain HTTP (challenging for Digest) and accepts it with CWMP_ALLOW_BASIC', async () => {
    const basic = `Basic ${Buffer.from(`${CREDS.username}:${CREDS.password}`).toString('base64')}`;
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry });
    const refused = await httpRequest(harness.urls[0] as string, { body: informXml(), headers: { Authorization: basic } });
    expect(refused.status).toBe(401);
    expect(refused.distinct['www-authenticate']?.every((h) => h.startsWith('Digest '))).toBe(true);
    expect(registry.calls.filter((c) => c.method === 'verifyCredentials')).toHaveLength(0);
    await harness.stop();

    harness = await startGateways(1, { registry, settings: { allowBasic: true } });
    const accepted = await httpRequest(harness.urls[0] as string, { body: informXml(), headers: { Authorization: basic } });
    expect(accepted.status).toBe(200);
    expect(registry.calls.find((c) => c.method === 'verifyCredentials')?.req).toMatchObject({ proof: { scheme: 'basic' } });
  });

  it('accepts Basic when a trusted proxy says TLS ended at the load balancer, and only then', async () => {
    const basic = `Basic ${Buffer.from(`${CREDS.username}:${CREDS.password}`).toString('base64')}`;
    const headers = { Authorization: basic, 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.7' };
    harness = await startGateways(1, { registry: registryWithCpe(), settings: { trustedProxies: ['loopback'] } });
    const res = await httpRequest(harness.urls[0] as string, { body: informXml(), headers });
    expect(res.status).toBe(200);
    const started = harness.logs.lines.find((l) => l.msg === 'session started');
    expect(started?.sourceIp).toBe('198.51.100.7');
    await harness.stop();

    harness = await startGateways(1, { registry: registryWithCpe(), settings: { trustedProxies: ['10.0.0.1'] } });
    const untrusted = await httpRequest(harness.urls[0] as string, { body: informXml(), headers });
    expect(untrusted.status).toBe(401);
  });
});

describe('a session', () => {
  it('carries the poke requestId the registry names into session.started', async () => {
    const registry = registryWithCpe();
    registry.pokeRequestId = 'poke-7';
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    expect((await cpe.open()).status).toBe(200);
    await until(() => sessions.length === 1);
    expect(json(sessions[0] as BusMessage)).toMatchObject({ deviceId: DEVICE_ID, requestId: 'poke-7' });
  });

  it('runs Inform -> InformResponse -> empty -> RPC -> response -> 204, publishing its events', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] } });
    harness = await startGateways(1, { registry });
    const informs = collect(harness, harness.subjects.evt.allInforms);
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);

    const informRes = await cpe.open();
    expect(informRes.status).toBe(200);
    expect(informRes.headers['content-type']).toBe('text/xml; charset="utf-8"');
    expect(informRes.headers['content-length']).toBe(String(Buffer.byteLength(informRes.body)));
    expect(informRes.headers['set-cookie']?.[0]).toMatch(/^acs_sid=[A-Za-z0-9_-]+; Path=\/; HttpOnly$/);
    expect(informRes.body.startsWith('<?xml')).toBe(false);
    const ir = parsed(informRes.body);
    expect(ir.body).toEqual({ name: 'InformResponse', maxEnvelopes: 1 });
    expect(ir.header.id).toBe('inf-1');
    expect(registry.informs).toHaveLength(1);
    expect(registry.informs[0]).toMatchObject({ deviceId: DEVICE_ID, auth: { scope: 'device', username: 'cpe1' } });

    const rpcRes = await cpe.post('');
    expect(rpcRes.status).toBe(200);
    const rpc = parsed(rpcRes.body);
    expect(rpc.body).toEqual({ name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] });
    expect(rpc.header.id).toMatch(/^acs-/);
    expect(rpc.cwmpNamespace).toBe('urn:dslforum-org:cwmp-1-2');

    const answer = envelope(
      { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: '5.2.1', type: 'string' }] },
      { id: rpc.header.id as string },
    );
    const done = await cpe.post(answer);
    expect(done.status).toBe(204);
    expect(done.body).toBe('');
    expect(done.headers['content-length']).toBe('0');
    expect(registry.results).toEqual([
      expect.objectContaining({ taskId: 't-1', method: 'GetParameterValues', outcome: { response: expect.objectContaining({ name: 'GetParameterValuesResponse' }) } }),
    ]);

    // Lock released and session deleted: the device can open a new session at once, the old cookie is dead.
    expect(await harness.kv.locks.acquire(DEVICE_ID, 1_000)).not.toBeNull();
    // A dead cookie is no session: the request is challenged like any other without credentials.
    expect((await cpe.post('')).status).toBe(401);

    await until(() => sessions.length === 2 && informs.length === 1);
    expect(sessions.map((m) => m.subject)).toEqual([harness.subjects.evt.sessionStarted(DEVICE_ID), harness.subjects.evt.sessionEnded(DEVICE_ID)]);
    expect(json(sessions[1] as BusMessage)).toMatchObject({
      deviceId: DEVICE_ID,
      outcome: 'completed',
      eventCodes: ['1 BOOT'],
      rpcs: [{ name: 'GetParameterValues', taskId: 't-1', outcome: 'ok' }],
      tasksDone: ['t-1'],
      tasksFaulted: [],
    });
    expect(json(informs[0] as BusMessage)).toMatchObject({
      deviceId: DEVICE_ID,
      events: [{ eventCode: '1 BOOT', commandKey: '' }],
      parameters: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: '5.2.1', type: 'xsd:string' }],
    });
  });

  it('echoes cwmp:ID only when the Inform carried one, even an empty one', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const withEmpty = await new TestCpe(harness.urls, CREDS).open({ inform: informXml({ id: '' }) });
    expect(parsed(withEmpty.body).header.id).toBe('');
    await harness.stop();

    harness = await startGateways(1, { registry: registryWithCpe() });
    const noHeader = informXml().replace(/<soap-env:Header>.*<\/soap-env:Header>/, '');
    expect(noHeader).not.toContain('cwmp:ID');
    const res = await new TestCpe(harness.urls, CREDS).open({ inform: noHeader });
    expect(res.status).toBe(200);
    expect(parsed(res.body).header.id).toBeUndefined();
    expect(res.body).not.toContain('cwmp:ID');
  });

  it('negotiates UseCWMPVersion, and answers fault 8006 without a session when there is no common version', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const ok = await new TestCpe(harness.urls, CREDS).open({
      inform: informXml({ header: { supportedCWMPVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'] } }),
    });
    expect(parsed(ok.body).header.useCWMPVersion).toBe('1.4');
    await harness.stop();

    harness = await startGateways(1, { registry: registryWithCpe() });
    const bad = await new TestCpe(harness.urls, CREDS).open({ inform: informXml({ header: { supportedCWMPVersions: ['2.0'] } }) });
    expect(bad.status).toBe(200);
    const f = parsed(bad.body);
    expect((f.body as Fault).detail.faultCode).toBe(8006);
    expect(f.header.id).toBe('inf-1');
    expect(bad.headers['set-cookie']).toBeUndefined();
    expect(await harness.kv.locks.acquire(DEVICE_ID, 1_000)).not.toBeNull();
  });

  it('answers CPE requests through the registry, echoing their ID; an unknown method gets fault 8000', async () => {
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const tc = await cpe.post(
      envelope(
        { name: 'TransferComplete', commandKey: 'job-1', faultStruct: { faultCode: 0, faultString: '' }, startTime: '2026-11-26T08:00:00Z', completeTime: '2026-11-26T08:01:00Z' },
        { id: 'tc-7' },
      ),
    );
    expect(tc.status).toBe(200);
    expect(parsed(tc.body)).toMatchObject({ header: { id: 'tc-7' }, body: { name: 'TransferCompleteResponse' } });
    expect(registry.cpeRequests.map((r) => r.request.name)).toEqual(['TransferComplete']);

    const unknown = await cpe.post(informXml().replace(/cwmp:Inform>/g, 'cwmp:X_ACME_Frobnicate>').replace('inf-1', 'x-9'));
    expect(unknown.status).toBe(200);
    expect(parsed(unknown.body)).toMatchObject({ header: { id: 'x-9' }, body: { name: 'Fault', detail: { faultCode: 8000 } } });

    const kicked = await cpe.post(envelope({ name: 'Kicked', command: 'c', referer: 'r', arg: 'a', next: 'n' }, { id: 'k-1' }));
    expect(parsed(kicked.body)).toMatchObject({ header: { id: 'k-1' }, body: { name: 'Fault', detail: { faultCode: 8000 } } });
    // The session is still alive and ends normally.
    expect((await cpe.post('')).status).toBe(204);
  });

  it('ends the session (400) when an answer carries another cwmp:ID than the outstanding request', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r1' } });
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    await cpe.post('');
    const res = await cpe.post(envelope({ name: 'RebootResponse' }, { id: 'not-ours' }));
    expect(res.status).toBe(400);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { timeout: true } })]);
    await until(() => sessions.length === 2);
    expect(json(sessions[1] as BusMessage)).toMatchObject({ outcome: 'faulted' });
  });

  it('records a CPE fault to the RPC and carries on', async () => {
    const registry = registryWithCpe()
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'SetParameterValues', parameterList: [{ name: 'Device.X', value: '1', type: 'int' }], parameterKey: 'k' } })
      .queue(DEVICE_ID, { taskId: 't-2', rpc: { name: 'GetRPCMethods' } });
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const spv = parsed((await cpe.post('')).body);
    const fault: Fault = { name: 'Fault', faultcode: 'Client', faultstring: 'CWMP fault', detail: { faultCode: 9005, faultString: 'Invalid parameter name', setParameterValuesFault: [] } };
    const gpm = parsed((await cpe.post(envelope(fault, { id: spv.header.id as string }))).body);
    expect(gpm.body.name).toBe('GetRPCMethods');
    const end = await cpe.post(envelope({ name: 'GetRPCMethodsResponse', methodList: ['Inform'] }, { id: gpm.header.id as string }));
    expect(end.status).toBe(204);
    expect(registry.results.map((r) => Object.keys(r.outcome)[0])).toEqual(['fault', 'response']);
    await until(() => sessions.length === 2);
    expect(json(sessions[1] as BusMessage)).toMatchObject({
      rpcs: [
        { name: 'SetParameterValues', taskId: 't-1', outcome: 'fault', faultCode: 9005 },
        { name: 'GetRPCMethods', taskId: 't-2', outcome: 'ok' },
      ],
      tasksDone: ['t-2'],
      tasksFaulted: ['t-1'],
    });
  });

  it('is served by any replica: challenge on A, Inform on B, then alternating', async () => {
    const registry = registryWithCpe()
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetParameterNames', parameterPath: 'Device.', nextLevel: true } })
      .queue(DEVICE_ID, { taskId: 't-2', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(2, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    const informRes = await cpe.open({ challengeTo: 0, to: 1 });
    expect(informRes.status).toBe(200);
    const gpn = parsed((await cpe.post('', { to: 0 })).body);
    expect(gpn.body.name).toBe('GetParameterNames');
    const reboot = parsed((await cpe.post(envelope({ name: 'GetParameterNamesResponse', parameterList: [] }, { id: gpn.header.id as string }), { to: 1 })).body);
    expect(reboot.body.name).toBe('Reboot');
    const end = await cpe.post(envelope({ name: 'RebootResponse' }, { id: reboot.header.id as string }), { to: 0 });
    expect(end.status).toBe(204);
    expect(registry.results.map((r) => r.taskId)).toEqual(['t-1', 't-2']);
    const replicas = new Set(harness.logs.lines.filter((l) => l.sessionId !== undefined).map((l) => l.replica));
    expect(replicas).toEqual(new Set([0, 1]));
  });

  it('refuses a second concurrent session of the same device with 503 + Retry-After', async () => {
    harness = await startGateways(2, { registry: registryWithCpe(), settings: { retryAfterS: 5 } });
    expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(200);
    const second = await new TestCpe(harness.urls, CREDS).open({ challengeTo: 1, to: 1 });
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('5');
    expect(harness.logs.withCode('DEVICE_IN_SESSION')).toHaveLength(1);
  });

  it('starts a fresh session when an Inform comes with the cookie of the device\'s previous session', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const oldCookie = cpe.cookie;
    await cpe.post(''); // Reboot sent; the CPE reboots without answering and comes back with 1 BOOT
    const again = await cpe.open({ inform: informXml({ events: [{ eventCode: '1 BOOT', commandKey: '' }, { eventCode: 'M Reboot', commandKey: 'r' }] }) });
    expect(again.status).toBe(200);
    expect(cpe.cookie).not.toBe(oldCookie);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { timeout: true } })]);
    await until(() => sessions.length === 3);
    expect(json(sessions[1] as BusMessage)).toMatchObject({ outcome: 'aborted' });
  });

  it('follows a CPE that drops cookies by its TCP connection, and loses it on a new connection', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'FactoryReset' } });
    harness = await startGateways(1, { registry });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cpe = new TestCpe(harness.urls, CREDS, { agent, keepCookies: false });
      expect((await cpe.open()).status).toBe(200);
      const rpc = parsed((await cpe.post('')).body);
      expect(rpc.body.name).toBe('FactoryReset');
      // The same request from a fresh connection has nothing to go by.
      const elsewhere = await httpRequest(harness.urls[0] as string, { body: '' });
      expect(elsewhere.status).toBe(401);
      const end = await cpe.post(envelope({ name: 'FactoryResetResponse' }, { id: rpc.header.id as string }));
      expect(end.status).toBe(204);
    } finally {
      agent.destroy();
    }
  });

  it('does not track cookie-less CPEs by connection when the fallback is off', async () => {
    harness = await startGateways(1, { registry: registryWithCpe(), settings: { connectionFallback: false } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cpe = new TestCpe(harness.urls, CREDS, { agent, keepCookies: false });
      expect((await cpe.open()).status).toBe(200);
      // Not recognised by its connection: a stranger without credentials, so challenged.
      expect((await cpe.post('')).status).toBe(401);
    } finally {
      agent.destroy();
    }
  });

  it('lets a cookie-less CPE restart its session with a new Inform on the same connection', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(1, { registry });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cpe = new TestCpe(harness.urls, CREDS, { agent, keepCookies: false });
      await cpe.open();
      expect(parsed((await cpe.post('')).body).body.name).toBe('Reboot');
      expect((await cpe.open()).status).toBe(200);
      expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { timeout: true } })]);
      // Without the connection (or a cookie) to go by, the same device is refused while that session lives.
      expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(503);
    } finally {
      agent.destroy();
    }
  });

  it('ends an idle session after its timeout: the lock frees and the unanswered RPC is reported as timed out', async () => {
    let t = Date.now();
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Download', commandKey: 'd', fileType: '1 Firmware Upgrade Image', url: 'http://192.0.2.1/fw', username: '', password: '', fileSize: 0, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' } });
    harness = await startGateways(1, { registry, now: () => t, settings: { sessionTimeoutMs: 10_000 } });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    await cpe.post('');
    // Still inside the timeout: a second session is refused.
    t += 5_000;
    expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(503);
    t += 10_001;
    const next = await new TestCpe(harness.urls, CREDS).open();
    expect(next.status).toBe(200);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', method: 'Download', outcome: { timeout: true } })]);
    await until(() => sessions.length === 3);
    expect(json(sessions[1] as BusMessage)).toMatchObject({ outcome: 'timeout', rpcs: [{ name: 'Download', outcome: 'fault' }] });
    // The late answer of the old session finds nothing.
    expect((await cpe.post(envelope({ name: 'DownloadResponse', status: 1, startTime: '0001-01-01T00:00:00Z', completeTime: '0001-01-01T00:00:00Z' }))).status).toBe(401);
  });

  it('caps the RPCs of one session', async () => {
    const registry = registryWithCpe();
    for (let i = 0; i < 5; i += 1) registry.queue(DEVICE_ID, { taskId: `t-${i}`, rpc: { name: 'GetRPCMethods' } });
    harness = await startGateways(1, { registry, settings: { maxRpcsPerSession: 2 } });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    let res = await cpe.post('');
    let count = 0;
    while (res.status === 200) {
      count += 1;
      res = await cpe.post(envelope({ name: 'GetRPCMethodsResponse', methodList: [] }, { id: parsed(res.body).header.id as string }));
    }
    expect(res.status).toBe(204);
    expect(count).toBe(2);
    expect(registry.tasks.get(DEVICE_ID)).toHaveLength(3);
  });
});

describe('bad input and failures', () => {
  it('answers malformed SOAP outside a session with 401 before parsing it, then with 400, logged once with its context', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const res = await new TestCpe(harness.urls, CREDS).postWithDigest('<soap-env:Envelope><broken');
    expect(res.status).toBe(400);
    expect(res.headers.connection).toBe('close');
    const lines = harness.logs.withCode('MALFORMED_XML');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ sourceIp: '127.0.0.1', status: 400 });
  });

  it('answers malformed SOAP inside a live session with fault 8003 and keeps the session', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const res = await cpe.post('<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><unclosed>');
    expect(res.status).toBe(200);
    expect(parsed(res.body).body).toMatchObject({ name: 'Fault', detail: { faultCode: 8003 } });
    const lines = harness.logs.lines.filter((l) => l.code === 'MALFORMED_XML');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ deviceId: DEVICE_ID, sourceIp: '127.0.0.1' });
    expect(lines[0]?.sessionId).toEqual(expect.any(String));
    expect((await cpe.post('')).status).toBe(204);
  });

  it('answers an oversized body with 413', async () => {
    harness = await startGateways(1, { registry: registryWithCpe(), settings: { maxBodyBytes: 2_048 } });
    const res = await httpRequest(harness.urls[0] as string, { body: informXml().replace('5.2.1', 'x'.repeat(4_000)) });
    expect(res.status).toBe(413);
    expect(res.headers['content-length']).toBe('0');
  });

  it('inflates a gzip-compressed Inform', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const cpe = new TestCpe(harness.urls, CREDS);
    const body = gzipSync(informXml());
    const first = await httpRequest(harness.urls[0] as string, { body, headers: { 'Content-Encoding': 'gzip' } });
    expect(first.status).toBe(401);
    cpe.lastChallenge = first.distinct['www-authenticate']?.[0];
    const res = await httpRequest(harness.urls[0] as string, { body, headers: { 'Content-Encoding': 'gzip', Authorization: cpe.digestFor('/cwmp/') } });
    expect(res.status).toBe(200);
    expect(parsed(res.body).body.name).toBe('InformResponse');
  });

  it('challenges an empty POST without a session, answers it 400 once it carries credentials, and other methods 405', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const probe = await httpRequest(harness.urls[0] as string, { body: '' });
    expect(probe.status).toBe(401);
    expect(probe.distinct['www-authenticate']?.some((h) => h.startsWith('Digest '))).toBe(true);
    expect(harness.logs.withCode('EMPTY_POST_WITHOUT_SESSION')).toHaveLength(0);
    expect((await new TestCpe(harness.urls, CREDS).postWithDigest('')).status).toBe(400);
    expect(harness.logs.withCode('EMPTY_POST_WITHOUT_SESSION')).toHaveLength(1);
    const get = await httpRequest(harness.urls[0] as string, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const root = await httpRequest(harness.urls[0]?.replace('/cwmp/', '/') as string, { body: informXml() });
    expect(root.status).toBe(401);
  });

  it('answers 503 + Retry-After while the registry is unavailable, and resumes the session after', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetRPCMethods' } });
    harness = await startGateways(2, { registry });
    registry.failure = FakeRegistry.unavailable('acs.registry.credentials.verify');
    const cpe = new TestCpe(harness.urls, CREDS);
    const down = await cpe.open();
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('60');
    expect(await harness.kv.locks.acquire(DEVICE_ID, 1)).not.toBeNull();

    registry.failure = undefined;
    await cpe.open();
    registry.failure = FakeRegistry.unavailable();
    expect((await cpe.post('', { to: 1 })).status).toBe(503);
    registry.failure = undefined;
    const rpc = await cpe.post('', { to: 0 });
    expect(parsed(rpc.body).body.name).toBe('GetRPCMethods');
  });

  it('keeps a recorded result recorded when the registry fails right after it', async () => {
    const registry = registryWithCpe()
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetRPCMethods' } })
      .queue(DEVICE_ID, { taskId: 't-2', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(1, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const gpm = parsed((await cpe.post('')).body);
    registry.failing.add('nextAction');
    const res = await cpe.post(envelope({ name: 'GetRPCMethodsResponse', methodList: [] }, { id: gpm.header.id as string }));
    expect(res.status).toBe(503);
    registry.failing.clear();
    // The CPE gives up on that session and starts again with its old cookie: nothing is reported twice.
    expect((await cpe.open()).status).toBe(200);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { response: expect.anything() } })]);
    expect(parsed((await cpe.post('')).body).body.name).toBe('Reboot');
  });

  it('takes its lock again when it lapsed in the store while the session was still alive', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetRPCMethods' } });
    harness = await startGateways(1, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const sessionId = (registry.informs[0] as { sessionId: string }).sessionId;
    const record = (await harness.kv.sessions.get(`cwmp:s:${sessionId}`)) as { lock: { key: string; token: string } };
    expect(await harness.kv.locks.release(record.lock)).toBe(true);
    expect(parsed((await cpe.post('')).body).body.name).toBe('GetRPCMethods');
    expect(await harness.kv.locks.acquire(DEVICE_ID, 1_000)).toBeNull();
  });

  it('answers /healthz and /readyz', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const base = (harness.urls[0] as string).replace('/cwmp/', '');
    expect((await httpRequest(`${base}/healthz`, { method: 'GET' })).status).toBe(200);
    const ready = await httpRequest(`${base}/readyz`, { method: 'GET' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, problems: [] });
    await harness.gateways[0]?.close();
    expect((await httpRequest(`${base}/readyz`, { method: 'GET' })).status).toBe(503);
  });
});

