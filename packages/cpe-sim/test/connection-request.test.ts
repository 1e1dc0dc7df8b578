import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'urllib';
import { createHttpConnectionRequestEndpoint, type ConnectionRequestEndpoint, type Cpe } from '../src/index.js';
import { makeCpe } from './support/make-cpe.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';

let acs: TestAcs | undefined;
let cpe: Cpe | undefined;
let endpoint: ConnectionRequestEndpoint | undefined;

afterEach(async () => {
  await cpe?.stop();
  await endpoint?.stop();
  await acs?.close();
  cpe = undefined;
  endpoint = undefined;
  acs = undefined;
});

// A real HTTP Digest client, as the ACS's connection-request worker would be.
const poke = (url: string, user: string, pass: string) =>
  request(url, { method: 'GET', digestAuth: `${user}:${pass}`, timeout: 5_000, retry: 0, dataType: 'text' });

describe('HTTP connection request', () => {
  it('accepts a Digest-authenticated GET, then the CPE opens a 6 CONNECTION REQUEST session', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url, crUsername: 'cr-1', crPassword: 'cr-pw' });
    await cpe.start({ inform: false });
    await cpe.inform();
    const res = await poke(cpe.connectionRequestUrl, 'cr-1', 'cr-pw');
    expect([200, 204]).toContain(res.status);
    const sessions = await acs.waitForSessions(2);
    expect(sessions[1]?.inform.event.map((e) => e.eventCode)).toEqual(['6 CONNECTION REQUEST']);
  });

  it('answers 401 to a wrong password and to no credentials, and opens no session', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url, crUsername: 'cr-1', crPassword: 'cr-pw' });
    await cpe.start({ inform: false });
    expect((await poke(cpe.connectionRequestUrl, 'cr-1', 'nope')).status).toBe(401);
    expect((await poke(cpe.connectionRequestUrl, 'other', 'cr-pw')).status).toBe(401);
    const bare = await request(cpe.connectionRequestUrl, { method: 'GET', timeout: 5_000, retry: 0 });
    expect(bare.status).toBe(401);
    expect(String(bare.headers['www-authenticate'])).toMatch(/^Digest realm="cwmp-cr".*qop="auth"/);
    expect(cpe.pendingEvents().map((e) => e.eventCode)).not.toContain('6 CONNECTION REQUEST');
    expect(acs.sessions).toHaveLength(0);
  });

  it('follows an SPV of ConnectionRequestPassword at once', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url, crUsername: 'cr-1', crPassword: 'old' });
    acs.queue('SIM000001', {
      name: 'SetParameterValues',
      parameterList: [{ name: 'Device.ManagementServer.ConnectionRequestPassword', value: 'new', type: 'string' }],
      parameterKey: 'k',
    });
    await cpe.start({ inform: false });
    await cpe.inform();
    expect((await poke(cpe.connectionRequestUrl, 'cr-1', 'old')).status).toBe(401);
    expect((await poke(cpe.connectionRequestUrl, 'cr-1', 'new')).status).toBe(200);
  });

  it('rate-limits: a second accepted poke within the window gets 503', async () => {
    let accepted = 0;
    endpoint = createHttpConnectionRequestEndpoint({
      credentials: () => ({ username: 'u', password: 'p' }),
      onRequest: () => accepted++,
      rateLimitMs: 60_000,
    });
    await endpoint.start();
    expect((await poke(endpoint.url, 'u', 'p')).status).toBe(200);
    expect((await poke(endpoint.url, 'u', 'p')).status).toBe(503);
    expect(accepted).toBe(1);
  });

  it('knobs: wrong-password always 401, busy 503, unreachable refuses connections, slow answers late', async () => {
    const creds = () => ({ username: 'u', password: 'p' });
    const wrong = createHttpConnectionRequestEndpoint({ credentials: creds, onRequest: () => undefined, behaviour: 'wrong-password' });
    const busy = createHttpConnectionRequestEndpoint({ credentials: creds, onRequest: () => undefined, behaviour: 'busy' });
    const gone = createHttpConnectionRequestEndpoint({ credentials: creds, onRequest: () => undefined, behaviour: 'unreachable' });
    const slow = createHttpConnectionRequestEndpoint({ credentials: creds, onRequest: () => undefined, behaviour: 'slow', slowMs: 300 });
    const all = [wrong, busy, gone, slow];
    try {
      for (const e of all) await e.start();
      expect((await poke(wrong.url, 'u', 'p')).status).toBe(401);
      expect((await poke(busy.url, 'u', 'p')).status).toBe(503);
      expect(gone.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      await expect(poke(gone.url, 'u', 'p')).rejects.toThrow(/ECONNREFUSED|connect/i);
      const t0 = Date.now();
      expect((await poke(slow.url, 'u', 'p')).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      for (const e of all) await e.stop();
    }
  });

  it('binds to another loopback address (a VPN side) and publishes it in ConnectionRequestURL', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url, connectionRequest: { host: '127.0.0.2' } });
    await cpe.start({ inform: false });
    await cpe.inform();
    expect(cpe.connectionRequestUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/cr\/[0-9a-f]+$/);
    expect(cpe.model.getValue('Device.ManagementServer.ConnectionRequestURL')).toBe(cpe.connectionRequestUrl);
    expect((await poke(cpe.connectionRequestUrl, 'cr-user', 'cr-pass')).status).toBe(200);
    await acs.waitForSessions(2);
  });

  it('answers 404 off its path and 405 to other methods', async () => {
    endpoint = createHttpConnectionRequestEndpoint({ credentials: () => ({ username: 'u', password: 'p' }), onRequest: () => undefined });
    await endpoint.start();
    const u = new URL(endpoint.url);
    expect((await request(`${u.origin}/elsewhere`, { method: 'GET', retry: 0 })).status).toBe(404);
    expect((await request(endpoint.url, { method: 'POST', retry: 0 })).status).toBe(405);
  });
});
