// Bad input and failures: malformed or oversized bodies, gzip, stray methods, an unavailable registry, lost locks.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { FakeRegistry } from '../test/support/fake-registry.js';
import { CREDS, gatewaysStoppedAfterEach, parsed, registryWithCpe } from '../test/support/fixtures.js';
import { DEVICE_ID, envelope, httpRequest, informXml, TestCpe, type Harness } from '../test/support/harness.js';

const startGateways = gatewaysStoppedAfterEach();
let harness: Harness | undefined;

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
