// Who may talk to the gateway: Digest and Basic, nonces, failed logins, trusted proxies.
import { describe, expect, it } from '@jest/globals';
import { CREDS, gatewaysStoppedAfterEach, registryWithCpe } from '../test/support/fixtures.js';
import { DEVICE_ID, httpRequest, informXml, TestCpe, type Harness } from '../test/support/harness.js';

const startGateways = gatewaysStoppedAfterEach();
let harness: Harness | undefined;

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
