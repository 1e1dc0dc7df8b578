import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFerretDb } from '@acs/testkit';
import type { FerretDbServer } from '@acs/testkit';
import { DevicePageSchema, TaskCreatedSchema } from '../../src/nbi/schemas.js';
import { hashForDigest } from '../../src/secrets.js';
import { createMongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';
import { REALM, enc, startNbiHarness } from './harness.js';
import type { NbiHarness } from './harness.js';

// The NBI over a real MongoDB-wire server (FerretDB, SQLite backend): the queries it makes must work there too.
let server: FerretDbServer;
let nbi: NbiHarness;
const T0 = Date.parse('2026-02-01T00:00:00Z');
const ODD = '00259E-Router%20X-SN%2F7';

beforeAll(async () => {
  server = await startFerretDb();
  const store = await createMongoDeviceStore({ uri: server.url, dbName: `acs_nbi_${randomBytes(6).toString('hex')}` });
  nbi = await startNbiHarness(store, { clock: () => T0 + 100 });
  for (let i = 0; i < 6; i++) {
    await nbi.store.upsertDevice({ id: `00259E-Router-SN${i}`, oui: '00259E', productClass: i < 4 ? 'Router' : 'ONT', serialNumber: `SN${i}`, lastInformAt: T0 + i }, T0);
  }
  await nbi.store.upsertDevice({ id: ODD, oui: '00259E', productClass: 'Router X', serialNumber: 'SN/7', lastInformAt: T0 }, T0);
  await nbi.store.upsertParameters(
    ODD,
    [
      { path: 'Device.IP.Interface.1.Enable', value: 'true', type: 'xsd:boolean' },
      { path: 'Device.IP.Interface.10.Enable', value: 'false', type: 'xsd:boolean' },
      { path: 'Device.DeviceInfo.UpTime', value: '9', type: 'xsd:unsignedInt' },
    ],
    T0,
  );
  await nbi.store.addTags('00259E-Router-SN1', ['lab'], T0);
}, 90_000);

afterAll(async () => {
  await nbi?.close();
  await nbi?.store.close();
  await server?.stop();
});

describe('NBI on MongoDeviceStore (FerretDB)', () => {
  it('lists with filters, paging and projection', async () => {
    const routers = DevicePageSchema.parse((await nbi.call('GET', '/api/v1/devices?productClass=Router&limit=2&offset=1')).json);
    expect(routers.total).toBe(4);
    expect(routers.items.map((d) => d.id)).toEqual(['00259E-Router-SN1', '00259E-Router-SN2']);
    expect((await nbi.call('GET', '/api/v1/devices?tag=lab')).json.items.map((d: { id: string }) => d.id)).toEqual(['00259E-Router-SN1']);
    expect((await nbi.call('GET', `/api/v1/devices?lastInformAfter=${T0 + 4}`)).json.total).toBe(2);
    const projected = await nbi.call('GET', `/api/v1/devices?id=${encodeURIComponent(ODD)}&projection=Device.IP.Interface.1`);
    expect(projected.json.items[0].parameters.map((p: { path: string }) => p.path)).toEqual(['Device.IP.Interface.1.Enable']);
  });

  it('reads a device (id with its own escapes) and a parameter subtree', async () => {
    const res = await nbi.call('GET', `/api/v1/devices/${enc(ODD)}?path=Device.IP.Interface.1.`);
    expect(res.status).toBe(200);
    expect(res.json.serialNumber).toBe('SN/7');
    expect(res.json.parameters.map((p: { path: string }) => p.path)).toEqual(['Device.IP.Interface.1.Enable']);
  });

  it('creates, lists and cancels tasks, then answers 409 on a second cancel', async () => {
    const created = await nbi.call('POST', `/api/v1/devices/${enc(ODD)}/tasks`, {
      body: [{ type: 'refresh', args: { path: 'Device.IP.' } }, { type: 'reboot', args: { commandKey: 'nbi' } }],
    });
    expect(created.status).toBe(201);
    const [refresh, reboot] = TaskCreatedSchema.parse(created.json).tasks;
    const listed = await nbi.call('GET', `/api/v1/tasks?deviceId=${enc(ODD)}&status=pending`);
    expect(listed.json.items.map((t: { id: string }) => t.id)).toEqual([refresh!.id, reboot!.id]);
    expect((await nbi.call('DELETE', `/api/v1/tasks/${reboot!.id}`)).json.status).toBe('cancelled');
    expect((await nbi.call('DELETE', `/api/v1/tasks/${reboot!.id}`)).status).toBe(409);
  });

  it('stores a credential as HA1 + hash only and answers 409 for a duplicate', async () => {
    const body = { kind: 'cpe', username: 'u1', password: 'mongo-Secret-9', scope: { kind: 'device', deviceId: ODD } };
    const res = await nbi.call('POST', '/api/v1/credentials', { body });
    expect(res.status).toBe(201);
    expect(res.text).not.toContain('mongo-Secret-9');
    const stored = await nbi.store.getCredential(res.json.id);
    expect(stored?.ha1).toBe(hashForDigest('u1', REALM, 'mongo-Secret-9'));
    expect(JSON.stringify(stored)).not.toContain('mongo-Secret-9');
    expect((await nbi.call('POST', '/api/v1/credentials', { body })).status).toBe(409);
  });

  it('does device-type CRUD with a profile, and lists and clears faults', async () => {
    const type = await nbi.call('POST', '/api/v1/device-types', { body: { name: 'onts', match: { productClass: 'ONT' }, profile: [{ path: 'Device.X.Y', value: '{serialNumber}' }] } });
    expect(type.status).toBe(201);
    expect((await nbi.call('POST', '/api/v1/device-types', { body: { name: 'onts' } })).status).toBe(409);
    expect((await nbi.call('PUT', `/api/v1/device-types/${type.json.id}`, { body: { priority: 3 } })).json).toMatchObject({ priority: 3, profile: [{ path: 'Device.X.Y' }] });
    expect((await nbi.call('DELETE', `/api/v1/device-types/${type.json.id}`)).status).toBe(204);

    const fault = await nbi.store.recordFault({ deviceId: ODD, code: '9002', message: 'Internal error' }, T0);
    expect((await nbi.call('GET', `/api/v1/faults?deviceId=${enc(ODD)}`)).json.items.map((f: { id: string }) => f.id)).toEqual([fault.id]);
    expect((await nbi.call('POST', `/api/v1/faults/${fault.id}/retry`)).json.retries).toBe(1);
    expect((await nbi.call('DELETE', `/api/v1/faults/${fault.id}`)).status).toBe(204);
    expect((await nbi.call('GET', '/readyz', { token: null })).status).toBe(200);
  });
});
