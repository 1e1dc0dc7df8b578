import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceIdFromParts } from '@acs/contracts';
import { enc, startNbiHarness } from '../../test/nbi/harness.js';
import type { NbiHarness } from '../../test/nbi/harness.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import { DevicePageSchema, DeviceSchema } from './schemas.js';

let nbi: NbiHarness;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;

// Ten devices: two product classes, one serial with characters that need escaping, informs an hour apart.
const devices = Array.from({ length: 10 }, (_, i) => {
  const productClass = i % 2 === 0 ? 'Router X' : 'ONT';
  const serialNumber = i === 3 ? 'SN/3 ü%' : `SN${String(i).padStart(2, '0')}`;
  return { id: deviceIdFromParts('00259E', productClass, serialNumber), oui: '00259E', productClass, serialNumber, lastInformAt: T0 + i * HOUR };
});
const odd = devices[3]!;

beforeAll(async () => {
  nbi = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }));
  for (const d of devices) await nbi.store.upsertDevice(d, T0);
  await nbi.store.upsertParameters(
    odd.id,
    [
      { path: 'Device.DeviceInfo.SerialNumber', value: odd.serialNumber, type: 'xsd:string', writable: false },
      { path: 'Device.DeviceInfo.UpTime', value: '42', type: 'xsd:unsignedInt', writable: false },
      { path: 'Device.IP.Interface.1.Enable', value: 'true', type: 'xsd:boolean', writable: true },
      { path: 'Device.IP.Interface.10.Enable', value: 'false', type: 'xsd:boolean', writable: true },
    ],
    T0,
  );
  await nbi.store.upsertDevice({ ...devices[0]!, connectionRequestAuth: { username: 'cr-user', passwordSealed: nbi.secretBox.encrypt('cr-secret') } }, T0);
  await nbi.store.addTags(devices[0]!.id, ['lab', 'floor-1'], T0);
  await nbi.store.addTags(devices[2]!.id, ['lab'], T0);
});

afterAll(async () => {
  await nbi.close();
  await nbi.store.close();
});

const ids = (body: { items: { id: string }[] }) => body.items.map((d) => d.id);

describe('GET /devices', () => {
  it('lists every device ordered by id, in the documented shape', async () => {
    const res = await nbi.call('GET', '/api/v1/devices');
    expect(res.status).toBe(200);
    expect(DevicePageSchema.parse(res.json).total).toBe(10);
    expect(ids(res.json)).toEqual(devices.map((d) => d.id).sort());
  });

  it('filters by productClass, serialNumber, oui, id and tags', async () => {
    expect((await nbi.call('GET', '/api/v1/devices?productClass=ONT')).json.total).toBe(5);
    expect(ids((await nbi.call('GET', `/api/v1/devices?serialNumber=${encodeURIComponent(odd.serialNumber)}`)).json)).toEqual([odd.id]);
    expect((await nbi.call('GET', '/api/v1/devices?oui=AAAAAA')).json.total).toBe(0);
    const two = await nbi.call('GET', `/api/v1/devices?id=${encodeURIComponent(devices[1]!.id)},${encodeURIComponent(odd.id)}`);
    expect(ids(two.json)).toEqual([devices[1]!.id, odd.id].sort());
    expect(ids((await nbi.call('GET', '/api/v1/devices?tag=lab')).json)).toEqual([devices[0]!.id, devices[2]!.id].sort());
    expect(ids((await nbi.call('GET', '/api/v1/devices?tag=lab&tag=floor-1')).json)).toEqual([devices[0]!.id]);
  });

  it('filters by last Inform, in epoch ms or ISO 8601 (after is inclusive, before exclusive)', async () => {
    const after = await nbi.call('GET', `/api/v1/devices?lastInformAfter=${T0 + 7 * HOUR}`);
    expect(ids(after.json)).toEqual(devices.slice(7).map((d) => d.id).sort());
    const before = await nbi.call('GET', `/api/v1/devices?lastInformBefore=${new Date(T0 + 2 * HOUR).toISOString()}`);
    expect(ids(before.json)).toEqual(devices.slice(0, 2).map((d) => d.id).sort());
    const window = await nbi.call('GET', `/api/v1/devices?lastInformAfter=${T0 + 4 * HOUR}&lastInformBefore=${T0 + 6 * HOUR}`);
    expect(window.json.total).toBe(2);
  });

  it('pages with limit and offset, total counting every match', async () => {
    const all = devices.map((d) => d.id).sort();
    const p1 = await nbi.call('GET', '/api/v1/devices?limit=4');
    const p3 = await nbi.call('GET', '/api/v1/devices?limit=4&offset=8');
    expect(p1.json).toMatchObject({ total: 10, limit: 4, offset: 0 });
    expect(ids(p1.json)).toEqual(all.slice(0, 4));
    expect(ids(p3.json)).toEqual(all.slice(8));
  });

  it('adds the projected parameters to each device, and only when asked', async () => {
    const res = await nbi.call('GET', `/api/v1/devices?id=${encodeURIComponent(odd.id)}&projection=Device.DeviceInfo.UpTime,Device.IP.Interface.1.`);
    const [device] = res.json.items;
    expect(device.parameters.map((p: { path: string }) => p.path)).toEqual(['Device.DeviceInfo.UpTime', 'Device.IP.Interface.1.Enable']);
    expect((await nbi.call('GET', `/api/v1/devices?id=${encodeURIComponent(odd.id)}`)).json.items[0].parameters).toBeUndefined();
  });

  it('answers 422 with every issue for bad query values and unknown filters', async () => {
    const res = await nbi.call('GET', '/api/v1/devices?limit=0&lastInformAfter=yesterday&colour=blue');
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('INVALID_PAYLOAD');
    const where = res.json.error.details.issues.map((i: { in: string; path: string[] }) => `${i.in}:${i.path.join('.')}`);
    expect(where).toEqual(expect.arrayContaining(['query:limit', 'query:lastInformAfter', 'query:']));
    expect((await nbi.call('GET', '/api/v1/devices?limit=1001')).status).toBe(422);
  });
});

describe('GET /devices/{id}', () => {
  it('decodes the id exactly once: an id with its own %-escapes round-trips', async () => {
    expect(odd.id).toContain('%');
    const res = await nbi.call('GET', `/api/v1/devices/${enc(odd.id)}`);
    expect(res.status).toBe(200);
    expect(DeviceSchema.parse(res.json).id).toBe(odd.id);
    expect(res.json.serialNumber).toBe('SN/3 ü%');
    expect(res.json.parameters).toHaveLength(4);
    // Sent without the extra encoding, the escapes are decoded once and name another (unknown) device.
    expect((await nbi.call('GET', `/api/v1/devices/${odd.id}`)).status).toBe(404);
  });

  it('returns the parameter subtree at ?path= without its look-alike siblings', async () => {
    const res = await nbi.call('GET', `/api/v1/devices/${enc(odd.id)}?path=Device.IP.Interface.1`);
    expect(res.json.parameters).toEqual([
      { path: 'Device.IP.Interface.1.Enable', value: 'true', type: 'xsd:boolean', writable: true, object: false, notification: null, accessList: null, readAt: T0 },
    ]);
    const missing = await nbi.call('GET', `/api/v1/devices/${enc(odd.id)}?path=Device.Nope.`);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toEqual({ code: 'NOT_FOUND', message: 'parameter "Device.Nope." not found' });
  });

  it('shows the connection-request username but never the sealed password', async () => {
    const res = await nbi.call('GET', `/api/v1/devices/${enc(devices[0]!.id)}`);
    expect(res.json.connectionRequestAuth).toEqual({ username: 'cr-user', passwordSet: true });
    expect(res.text).not.toMatch(/passwordSealed|v1\./);
  });

  it('answers 404 with a JSON body for an unknown device, and 400 for a broken escape', async () => {
    const res = await nbi.call('GET', '/api/v1/devices/000000-X-NOPE');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: 'NOT_FOUND', message: 'device "000000-X-NOPE" not found' } });
    const broken = await nbi.call('GET', '/api/v1/devices/%E0%A4%A');
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('BAD_REQUEST');
  });
});

describe('tags', () => {
  it('adds tags (sorted, unique) and removes one', async () => {
    const id = devices[5]!.id;
    const added = await nbi.call('POST', `/api/v1/devices/${enc(id)}/tags`, { body: { tags: ['zeta', 'alpha', 'zeta'] } });
    expect(added.status).toBe(200);
    expect(added.json.tags).toEqual(['alpha', 'zeta']);
    const removed = await nbi.call('DELETE', `/api/v1/devices/${enc(id)}/tags/zeta`);
    expect(removed.json.tags).toEqual(['alpha']);
    expect((await nbi.store.getDevice(id))?.tags).toEqual(['alpha']);
    expect((await nbi.call('DELETE', `/api/v1/devices/${enc(id)}/tags/zeta`)).status).toBe(404);
  });

  it('validates tags and answers 404 for an unknown device', async () => {
    const bad = await nbi.call('POST', `/api/v1/devices/${enc(devices[5]!.id)}/tags`, { body: { tags: ['has space'] } });
    expect(bad.status).toBe(422);
    expect(bad.json.error.details.issues[0].path).toEqual(['tags', 0]);
    expect((await nbi.call('POST', '/api/v1/devices/000000-X-NOPE/tags', { body: { tags: ['a'] } })).status).toBe(404);
  });
});

describe('DELETE /devices/{id}', () => {
  it('deletes the device with its parameters, then answers 404', async () => {
    const id = odd.id;
    expect((await nbi.call('DELETE', `/api/v1/devices/${enc(id)}`)).status).toBe(204);
    expect(await nbi.store.getDevice(id)).toBeNull();
    expect(await nbi.store.getParameters(id)).toEqual([]);
    expect((await nbi.call('DELETE', `/api/v1/devices/${enc(id)}`)).status).toBe(404);
  });
});
