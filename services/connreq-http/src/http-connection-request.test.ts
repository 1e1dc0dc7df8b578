import { afterEach, describe, expect, it } from '@jest/globals';
import { createHttpConnectionRequestEndpoint, type ConnectionRequestBehaviour, type ConnectionRequestEndpoint } from '@acs/cpe-sim';
import { startBasicOnlyCpe, startDigestCpe, startForwardingProxy, startRecordingFront, type RecordingServer } from '../test/support/http-fixtures.js';
import { performHttpConnectionRequest } from './http-connection-request.js';

const CREDS = { username: 'cruser', password: 'crpass' };
const OPTS = { connectTimeoutMs: 1_000, timeoutMs: 3_000 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startCpe(behaviour: ConnectionRequestBehaviour = 'normal', extra: { host?: string; slowMs?: number } = {}): Promise<{ endpoint: ConnectionRequestEndpoint; accepted: () => number }> {
  let accepted = 0;
  const endpoint = createHttpConnectionRequestEndpoint({
    credentials: () => CREDS,
    onRequest: () => {
      accepted += 1;
    },
    behaviour,
    rateLimitMs: 0,
    ...extra,
  });
  await endpoint.start();
  cleanups.push(() => endpoint.stop());
  return { endpoint, accepted: () => accepted };
}

async function front(url: string, options?: Parameters<typeof startRecordingFront>[1]): Promise<RecordingServer> {
  const f = await startRecordingFront(url, options);
  cleanups.push(() => f.stop());
  return f;
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('performHttpConnectionRequest against the simulated CPE', () => {
  it('right password: 401 challenge, one Digest-authenticated GET, accepted', async () => {
    const cpe = await startCpe();
    const f = await front(cpe.endpoint.url);
    const result = await performHttpConnectionRequest({ url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'accepted', retryable: false, authenticatedRequests: 1 });
    expect(cpe.accepted()).toBe(1);
    expect(f.seen.map((s) => s.authorized)).toEqual([false, true]);
    // RFC 7616 tokens unquoted, as strict CPE parsers expect.
    expect(f.seen[1]?.authorization).toMatch(/^Digest .*qop=auth, nc=00000001, cnonce="[0-9a-f]+"$/);
  });

  it('wrong password: auth_failed after exactly one authenticated attempt, not retryable', async () => {
    const cpe = await startCpe('wrong-password');
    const f = await front(cpe.endpoint.url);
    const result = await performHttpConnectionRequest({ url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'auth_failed', retryable: false, authenticatedRequests: 1 });
    expect(result.detail).toContain('after authenticating');
    expect(f.seen.filter((s) => s.authorized)).toHaveLength(1);
    expect(cpe.accepted()).toBe(0);
  });

  it('no credentials for a CPE that asks: auth_failed without an authenticated attempt', async () => {
    const cpe = await startCpe();
    const result = await performHttpConnectionRequest({ url: cpe.endpoint.url, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'auth_failed', authenticatedRequests: 0 });
  });

  it('503 (busy CPE): rejected and retryable', async () => {
    const cpe = await startCpe('busy');
    const result = await performHttpConnectionRequest({ url: cpe.endpoint.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'rejected', detail: 'HTTP 503', retryable: true });
  });

  it('slow CPE: timeout, within the deadline', async () => {
    const cpe = await startCpe('slow', { slowMs: 4_000 });
    const started = Date.now();
    const result = await performHttpConnectionRequest({ url: cpe.endpoint.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(700) }, OPTS);
    const took = Date.now() - started;
    expect(result).toMatchObject({ outcome: 'timeout', retryable: false });
    expect(took).toBeGreaterThanOrEqual(600);
    // Well before the CPE's answer at 4 s (slack for a loaded machine).
    expect(took).toBeLessThan(2_000);
  });

  it('nothing listening: unreachable and retryable', async () => {
    const cpe = await startCpe('unreachable');
    const result = await performHttpConnectionRequest({ url: cpe.endpoint.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'unreachable', retryable: true });
    expect(result.detail).toContain('ECONNREFUSED');
  });

  it('deadline already passed: timeout without any request', async () => {
    const cpe = await startCpe();
    const f = await front(cpe.endpoint.url);
    const result = await performHttpConnectionRequest({ url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(-1) }, OPTS);
    expect(result.outcome).toBe('timeout');
    expect(f.seen).toHaveLength(0);
  });

  it('a CPE that drops the socket after the 401: the authenticated GET is sent once more (GenieACS quirk)', async () => {
    const cpe = await startCpe();
    const f = await front(cpe.endpoint.url, { dropFirstAuthenticated: true });
    const result = await performHttpConnectionRequest({ url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'accepted', authenticatedRequests: 2 });
    expect(f.seen.filter((s) => s.authorized).map((s) => s.authorization?.match(/nc=(\d+)/)?.[1])).toEqual(['00000001', '00000002']);
  });
});

describe('Digest challenge variants (http-auth as the CPE)', () => {
  it('a challenge without qop gets the RFC 2069 response', async () => {
    const cpe = await startDigestCpe(CREDS, { qop: 'none' });
    cleanups.push(() => cpe.stop());
    const result = await performHttpConnectionRequest({ url: cpe.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'accepted', detail: 'HTTP 204', authenticatedRequests: 1 });
    expect(cpe.seen[1]?.authorization).not.toMatch(/qop=|nc=/);
  });

  it('the same with qop=auth, and a wrong password is still refused', async () => {
    const cpe = await startDigestCpe(CREDS, { qop: 'auth' });
    cleanups.push(() => cpe.stop());
    const ok = await performHttpConnectionRequest({ url: cpe.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(ok.outcome).toBe('accepted');
    const wrong = await performHttpConnectionRequest(
      { url: cpe.url, credentials: { ...CREDS, password: 'nope' }, allowBasicAuth: false, deadline: inMs(5_000) },
      OPTS,
    );
    expect(wrong).toMatchObject({ outcome: 'auth_failed', authenticatedRequests: 1 });
  });

  it('MD5-sess is refused as unsupported, without sending credentials', async () => {
    const cpe = await startDigestCpe(CREDS, { qop: 'auth', algorithm: 'MD5-sess' });
    cleanups.push(() => cpe.stop());
    const result = await performHttpConnectionRequest({ url: cpe.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(result).toMatchObject({ outcome: 'auth_failed', detail: 'unsupported Digest algorithm MD5-SESS', authenticatedRequests: 0 });
    expect(cpe.seen).toHaveLength(1);
  });
});

describe('Basic authentication', () => {
  it('answers a Basic-only challenge only when allowBasicAuth is set', async () => {
    const cpe = await startBasicOnlyCpe(CREDS);
    cleanups.push(() => cpe.stop());
    const refused = await performHttpConnectionRequest({ url: cpe.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) }, OPTS);
    expect(refused).toMatchObject({ outcome: 'auth_failed', authenticatedRequests: 0 });
    expect(refused.detail).toContain('allowBasicAuth');
    expect(cpe.seen.filter((s) => s.authorized)).toHaveLength(0);

    const allowed = await performHttpConnectionRequest({ url: cpe.url, credentials: CREDS, allowBasicAuth: true, deadline: inMs(5_000) }, OPTS);
    expect(allowed).toMatchObject({ outcome: 'accepted', authenticatedRequests: 1 });
    expect(cpe.seen.filter((s) => s.authorized).map((s) => s.authorization)).toEqual([`Basic ${Buffer.from('cruser:crpass').toString('base64')}`]);
  });

  it('prefers Digest even when Basic is allowed (the simulator challenges Digest)', async () => {
    const cpe = await startCpe();
    const f = await front(cpe.endpoint.url);
    const result = await performHttpConnectionRequest({ url: f.url, credentials: CREDS, allowBasicAuth: true, deadline: inMs(5_000) }, OPTS);
    expect(result.outcome).toBe('accepted');
    expect(f.seen[1]?.authorization).toMatch(/^Digest /);
  });
});

describe('egress', () => {
  it('binds egress.localAddress: reaches a CPE listening on 127.0.0.2 only, from 127.0.0.2', async () => {
    const cpe = await startCpe('normal', { host: '127.0.0.2' });
    expect(cpe.endpoint.url).toMatch(/^http:\/\/127\.0\.0\.2:/);
    const f = await front(cpe.endpoint.url, { host: '127.0.0.2' });
    const result = await performHttpConnectionRequest(
      { url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000), egress: { localAddress: '127.0.0.2' } },
      OPTS,
    );
    expect(result.outcome).toBe('accepted');
    expect(f.seen.map((s) => s.remoteAddress)).toEqual(['127.0.0.2', '127.0.0.2']);
    expect(cpe.accepted()).toBe(1);

    // The default egress applies when the command names none; the command's own wins over it.
    const viaDefault = await performHttpConnectionRequest(
      { url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000) },
      { ...OPTS, defaultEgress: { localAddress: '127.0.0.3' } },
    );
    expect(viaDefault.outcome).toBe('accepted');
    expect(f.seen.slice(2).map((s) => s.remoteAddress)).toEqual(['127.0.0.3', '127.0.0.3']);
    const own = await performHttpConnectionRequest(
      { url: f.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000), egress: { localAddress: '127.0.0.2' } },
      { ...OPTS, defaultEgress: { localAddress: '127.0.0.3' } },
    );
    expect(own.outcome).toBe('accepted');
    expect(f.seen.slice(4).map((s) => s.remoteAddress)).toEqual(['127.0.0.2', '127.0.0.2']);
  });

  it('goes through egress.proxyUrl (a forwarding HTTP proxy)', async () => {
    const cpe = await startCpe();
    const proxy = await startForwardingProxy();
    cleanups.push(() => proxy.stop());
    const result = await performHttpConnectionRequest(
      { url: cpe.endpoint.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000), egress: { proxyUrl: proxy.url } },
      OPTS,
    );
    expect(result.outcome).toBe('accepted');
    expect(cpe.accepted()).toBe(1);
    expect(proxy.seen.map((s) => [s.authorized, s.status])).toEqual([
      [false, 401],
      [true, 200],
    ]);
  });

  it('a proxy that cannot reach the CPE: unreachable', async () => {
    const cpe = await startCpe('unreachable');
    const proxy = await startForwardingProxy();
    cleanups.push(() => proxy.stop());
    const result = await performHttpConnectionRequest(
      { url: cpe.endpoint.url, credentials: CREDS, allowBasicAuth: false, deadline: inMs(5_000), egress: { proxyUrl: proxy.url } },
      OPTS,
    );
    expect(result).toMatchObject({ outcome: 'unreachable', retryable: true });
    expect(proxy.seen).toHaveLength(1);
  });
});
