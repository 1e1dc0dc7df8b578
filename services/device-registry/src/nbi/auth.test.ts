import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNbiHarness } from '../../test/nbi/harness.js';
import type { NbiHarness } from '../../test/nbi/harness.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';

const ENV_TOKEN = 'env-admin-token-for-tests-0123456789';
let nbi: NbiHarness;

beforeAll(async () => {
  nbi = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }), { adminToken: ENV_TOKEN });
});

afterAll(async () => {
  await nbi.close();
  await nbi.store.close();
});

describe('bearer authentication', () => {
  it('answers 401 with a JSON error and a Bearer challenge when the token is missing', async () => {
    const res = await nbi.call('GET', '/api/v1/devices', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: 'missing bearer token' } });
  });

  it('answers 401 for an unknown token, a revoked one and another scheme', async () => {
    const bad = await nbi.call('GET', '/api/v1/devices', { token: 'acs_not-a-token-we-issued' });
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('UNAUTHORIZED');
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');

    const basic = await nbi.call('GET', '/api/v1/devices', { token: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.status).toBe(401);

    const issued = await nbi.tokens.create('read');
    expect((await nbi.call('GET', '/api/v1/devices', { token: issued.token })).status).toBe(200);
    expect(await nbi.tokens.revoke(issued.id)).toBe(true);
    expect((await nbi.call('GET', '/api/v1/devices', { token: issued.token })).status).toBe(401);
  });

  it('asks for a token before it says whether a route exists', async () => {
    expect((await nbi.call('GET', '/api/v1/no-such-thing', { token: null })).status).toBe(401);
    const known = await nbi.call('GET', '/api/v1/no-such-thing');
    expect(known.status).toBe(404);
    expect(known.json.error.code).toBe('NOT_FOUND');
  });

  it('accepts ACS_NBI_TOKEN as an admin token, and only the exact value', async () => {
    const ok = await nbi.call('POST', '/api/v1/device-types', { token: ENV_TOKEN, body: { name: 'env-made' } });
    expect(ok.status).toBe(201);
    expect((await nbi.call('GET', '/api/v1/devices', { token: `${ENV_TOKEN}x` })).status).toBe(401);
    expect((await nbi.call('GET', '/api/v1/devices', { token: ENV_TOKEN.slice(0, -1) })).status).toBe(401);
  });

  it('lets probes and the OpenAPI document through without a token', async () => {
    expect((await nbi.call('GET', '/healthz', { token: null })).json).toEqual({ status: 'ok' });
    expect((await nbi.call('GET', '/readyz', { token: null })).json).toEqual({ status: 'ready' });
    expect((await nbi.call('GET', '/openapi.json', { token: null })).status).toBe(200);
  });
});

describe('roles', () => {
  it('lets a read token GET but answers 403 to every write, whatever the body', async () => {
    expect((await nbi.call('GET', '/api/v1/device-types', { token: nbi.readToken })).status).toBe(200);
    const writes: [string, string, unknown][] = [
      ['POST', '/api/v1/device-types', { name: 'nope' }],
      ['PUT', '/api/v1/device-types/x', { name: 'nope' }],
      ['DELETE', '/api/v1/devices/x', undefined],
      ['POST', '/api/v1/devices/x/tasks', { type: 'reboot' }],
      ['POST', '/api/v1/credentials', 'not even json'],
      ['POST', '/api/v1/faults/x/retry', undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await nbi.call(method, path, { token: nbi.readToken, ...(typeof body === 'string' ? { rawBody: body } : { body }) });
      expect({ method, path, status: res.status, code: res.json?.error?.code }).toEqual({ method, path, status: 403, code: 'FORBIDDEN' });
    }
    expect((await nbi.call('GET', '/api/v1/device-types')).json.items.map((t: { name: string }) => t.name)).not.toContain('nope');
  });

  it('keeps token management to admins, and shows a new token only once', async () => {
    expect((await nbi.call('GET', '/api/v1/tokens', { token: nbi.readToken })).status).toBe(403);
    const created = await nbi.call('POST', '/api/v1/tokens', { body: { role: 'read' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ role: 'read', token: expect.stringMatching(/^acs_/) });
    expect((await nbi.call('GET', '/api/v1/devices', { token: created.json.token })).status).toBe(200);

    const listed = await nbi.call('GET', '/api/v1/tokens');
    expect(listed.text).not.toContain(created.json.token);
    expect(listed.json.items).toEqual(expect.arrayContaining([{ id: 'env', role: 'admin', createdAt: 0 }, { id: created.json.id, role: 'read', createdAt: expect.any(Number) }]));

    expect((await nbi.call('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(204);
    expect((await nbi.call('GET', '/api/v1/devices', { token: created.json.token })).status).toBe(401);
    expect((await nbi.call('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(404);
    expect((await nbi.call('DELETE', '/api/v1/tokens/env')).status).toBe(409);
  });

  it('rejects an unknown role with 422', async () => {
    const res = await nbi.call('POST', '/api/v1/tokens', { body: { role: 'root' } });
    expect(res.status).toBe(422);
    expect(res.json.error.details.issues[0]).toMatchObject({ in: 'body', path: ['role'] });
  });
});
