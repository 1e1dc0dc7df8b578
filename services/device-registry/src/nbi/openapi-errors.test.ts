import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createLogger } from '@acs/telemetry';
import { startNbiHarness } from '../../test/nbi/harness.js';
import type { NbiHarness } from '../../test/nbi/harness.js';
import { createSecretBox } from '../secrets.js';
import { StoreUnavailableError } from '../store/device-store.js';
import type { DeviceStore } from '../store/device-store.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import { createNbi } from './create-nbi.js';
import { createMemoryTokenStore } from './tokens.js';

/** The SQLite store with some methods replaced: a fake of the port that fails the way a broken database would. */
function failing(store: DeviceStore, overrides: Partial<Record<keyof DeviceStore, () => Promise<never>>>): DeviceStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const override = overrides[prop as keyof DeviceStore];
      if (override) return override;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('error bodies', () => {
  let nbi: NbiHarness;
  const sqlite = createSqliteDeviceStore({ filename: ':memory:' });

  beforeAll(async () => {
    const store = failing(sqlite, {
      listFaults: async () => {
        throw new Error('disk on fire at /var/lib/acs/secret-path');
      },
      listTasks: async () => {
        throw new StoreUnavailableError('connection refused');
      },
    });
    nbi = await startNbiHarness(store, { maxBodyBytes: 1_024 });
  });

  afterAll(async () => {
    await nbi.close();
    await sqlite.close();
  });

  it('answers an unexpected failure with 500 INTERNAL, no details or stack, and logs it once', async () => {
    const res = await nbi.call('GET', '/api/v1/faults');
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(res.text).not.toMatch(/disk on fire|secret-path|at .*\.ts/);
    const logged = nbi.logs.filter((l) => l.msg === 'NBI request failed');
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0])).toContain('disk on fire');
  });

  it('answers 503 UNAVAILABLE when the store is down', async () => {
    const res = await nbi.call('GET', '/api/v1/tasks');
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ error: { code: 'UNAVAILABLE', message: 'the device store is unavailable' } });
  });

  it('answers unknown routes, outside and inside /api/v1, with 404 JSON', async () => {
    for (const path of ['/nope', '/api/v2/devices', '/api/v1/devices/x/y/z']) {
      const res = await nbi.call('GET', path);
      expect({ path, status: res.status, code: res.json?.error?.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
    }
    expect((await nbi.call('PATCH', '/api/v1/device-types/x', { body: {} })).status).toBe(404);
  });

  it('answers 400 for malformed JSON or a bare JSON scalar, 413 for an oversized body, 415 for another type, 422 for no body', async () => {
    const malformed = await nbi.call('POST', '/api/v1/device-types', { rawBody: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('BAD_REQUEST');
    const big = await nbi.call('POST', '/api/v1/device-types', { body: { name: 'x'.repeat(2_000) } });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const wrongType = await nbi.call('POST', '/api/v1/device-types', { rawBody: '"just a string"' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error.code).toBe('BAD_REQUEST');
    const noBody = await nbi.call('POST', '/api/v1/device-types');
    expect(noBody.status).toBe(422);
    const text = await nbi.call('POST', '/api/v1/device-types', { rawBody: '{"name":"t"}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const charset = await nbi.call('POST', '/api/v1/device-types', { rawBody: '{"name":"t"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(charset.status).toBe(201);
  });
});

describe('readiness', () => {
  it('answers 503 when the store does not answer', async () => {
    const sqlite = createSqliteDeviceStore({ filename: ':memory:' });
    const nbi = await startNbiHarness(failing(sqlite, { getDevice: async () => Promise.reject(new StoreUnavailableError('down')) }));
    try {
      const res = await nbi.call('GET', '/readyz', { token: null });
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ status: 'unavailable' });
      expect((await nbi.call('GET', '/healthz', { token: null })).status).toBe(200);
    } finally {
      await nbi.close();
      await sqlite.close();
    }
  });
});

describe('/openapi.json', () => {
  const store = createSqliteDeviceStore({ filename: ':memory:' });
  let nbi: NbiHarness;

  beforeAll(async () => {
    nbi = await startNbiHarness(store);
  });

  afterAll(async () => {
    await nbi.close();
    await store.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await nbi.call('GET', '/openapi.json', { token: null });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(res.json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the router serves, with its method, and nothing it does not serve', async () => {
    const app = createNbi({
      store,
      tokens: createMemoryTokenStore(),
      secretBox: createSecretBox(Buffer.alloc(32, 1).toString('base64')),
      realm: 'r',
      logger: createLogger({ service: 'nbi-test', level: 'silent' }),
    });
    type Layer = { rawPath?: string; route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };
    const served: string[] = [];
    const walk = (stack: Layer[], prefix: string) => {
      for (const layer of stack) {
        if (layer.route) for (const method of Object.keys(layer.route.methods)) served.push(`${method} ${prefix}${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        else if (layer.handle.stack) walk(layer.handle.stack, prefix + (layer.rawPath ?? ''));
      }
    };
    walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
    const document = (await nbi.call('GET', '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(served.length).toBeGreaterThan(25);
    expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
    for (const expected of ['get /api/v1/devices', 'post /api/v1/devices/{id}/tasks', 'delete /api/v1/tasks/{id}', 'put /api/v1/device-types/{id}', 'post /api/v1/faults/{id}/retry', 'get /openapi.json']) {
      expect(served).toContain(expected);
    }
  });

  it('resolves every $ref and documents errors, auth and query parameters', async () => {
    const document = (await nbi.call('GET', '/openapi.json', { token: null })).json;
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(Object.keys(document.components.schemas)).toContain(ref);
    const list = document.paths['/api/v1/devices'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['serialNumber', 'tag', 'lastInformAfter', 'limit', 'offset', 'projection']));
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '401', '422']));
    expect(Object.keys(document.paths['/api/v1/device-types'].post.responses)).toEqual(expect.arrayContaining(['201', '403', '409', '422']));
    expect(document.paths['/healthz'].get.security).toEqual([]);
    expect(document.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    // The task request schema is the zod one: every task kind is there.
    expect(JSON.stringify(document.components.schemas.TaskRequest)).toContain('setParameterAttributes');
  });
});
