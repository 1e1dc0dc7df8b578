import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNbiHarness } from '../../test/nbi/harness.js';
import type { NbiHarness } from '../../test/nbi/harness.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import { DeviceTypeListSchema, DeviceTypeSchema, FaultPageSchema, FaultSchema } from './schemas.js';

let nbi: NbiHarness;
const DEVICE = '00259E-Router-SN1';

beforeAll(async () => {
  nbi = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }), { clock: () => 5_000 });
  await nbi.store.upsertDevice({ id: DEVICE, oui: '00259E', productClass: 'Router', serialNumber: 'SN1' }, 1);
});

afterAll(async () => {
  await nbi.close();
  await nbi.store.close();
});

describe('device types', () => {
  it('creates a type with match, onboarding, profile and connection-request policy, then reads it back', async () => {
    const body = {
      name: 'Router X',
      match: { oui: '00259e', productClass: 'Router', serialPattern: 'SN*' },
      onboarding: false,
      priority: 5,
      profile: [
        { path: 'Device.ManagementServer.PeriodicInformInterval', value: '300', type: 'xsd:unsignedInt' },
        { path: 'Device.Users.User.1.Password', value: '{secret:admin}' },
        { path: 'Device.DeviceInfo.ProvisioningCode', value: 'prov-{serialNumber}' },
      ],
      connectionRequestCredentials: { mode: 'generate', usernameTemplate: 'cr-{oui}-{serialNumber}', passwordLength: 32 },
    };
    const res = await nbi.call('POST', '/api/v1/device-types', { body });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/device-types/${res.json.id}`);
    const type = DeviceTypeSchema.parse(res.json);
    expect(type).toMatchObject({
      name: 'Router X',
      match: { oui: '00259E', productClass: 'Router', serialPattern: 'SN*' },
      catchAll: false,
      onboarding: false,
      priority: 5,
      connectionRequestCredentials: { mode: 'generate', usernameTemplate: 'cr-{oui}-{serialNumber}', passwordLength: 32 },
      createdAt: 5_000,
    });
    expect(type.profile.map((p) => p.type)).toEqual(['xsd:unsignedInt', 'xsd:string', 'xsd:string']);
    expect((await nbi.call('GET', `/api/v1/device-types/${type.id}`)).json).toEqual(res.json);
    expect((await nbi.store.matchDeviceType('00259E', 'Router', 'SN1'))?.id).toBe(type.id);
  });

  it('updates only the given fields with PUT, lists by name and deletes', async () => {
    const b = (await nbi.call('POST', '/api/v1/device-types', { body: { id: 'type-b', name: 'B type', profile: [{ path: 'Device.X.Y', value: '1' }] } })).json;
    const updated = await nbi.call('PUT', '/api/v1/device-types/type-b', { body: { name: 'A type', catchAll: true } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ id: 'type-b', name: 'A type', catchAll: true, profile: b.profile, onboarding: true });
    const listed = DeviceTypeListSchema.parse((await nbi.call('GET', '/api/v1/device-types')).json);
    expect(listed.items.map((t) => t.name)).toEqual(['A type', 'Router X']);
    expect((await nbi.call('DELETE', '/api/v1/device-types/type-b')).status).toBe(204);
    expect(await nbi.store.getDeviceType('type-b')).toBeNull();
    expect((await nbi.call('DELETE', '/api/v1/device-types/type-b')).status).toBe(404);
    expect((await nbi.call('PUT', '/api/v1/device-types/type-b', { body: { priority: 1 } })).status).toBe(404);
    expect((await nbi.call('GET', '/api/v1/device-types/type-b')).json.error.code).toBe('NOT_FOUND');
  });

  it('answers 409 for a taken name (create and rename) and 422 for bad profiles', async () => {
    const dup = await nbi.call('POST', '/api/v1/device-types', { body: { name: 'Router X' } });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('CONFLICT');
    const other = (await nbi.call('POST', '/api/v1/device-types', { body: { name: 'other' } })).json;
    expect((await nbi.call('PUT', `/api/v1/device-types/${other.id}`, { body: { name: 'Router X' } })).status).toBe(409);

    const bad: [unknown, (string | number)[]][] = [
      [{ name: '  ' }, ['name']],
      [{ name: 'p', profile: [{ path: 'Device.X.', value: '1' }] }, ['profile', 0, 'path']],
      [{ name: 'p', profile: [{ path: 'Device.X.Y', value: '{password}' }] }, ['profile', 0, 'value']],
      [{ name: 'p', profile: [{ path: 'Device.X.Y', value: '1' }, { path: 'Device.X.Y', value: '2' }] }, ['profile', 1, 'path']],
      [{ name: 'p', match: { oui: 'xyz' } }, ['match', 'oui']],
      [{ name: 'p', connectionRequestCredentials: { mode: 'always' } }, ['connectionRequestCredentials', 'mode']],
      [{ name: 'p', colour: 'red' }, []],
    ];
    for (const [body, path] of bad) {
      const res = await nbi.call('POST', '/api/v1/device-types', { body });
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect({ body, paths: res.json.error.details.issues.map((i: { path: unknown }) => i.path) }).toEqual({ body, paths: expect.arrayContaining([path]) });
    }
  });
});

describe('faults', () => {
  it('lists faults newest first, filtered by device and task, and reads one', async () => {
    const [task] = await nbi.store.createTasks(DEVICE, [{ type: 'reboot', args: {}, maxAttempts: 1 }], 10);
    await nbi.store.claimTask(task!.id, 11);
    await nbi.store.failTask(task!.id, { code: '9002', message: 'Internal error' }, 12);
    const f1 = await nbi.store.recordFault({ deviceId: DEVICE, taskId: task!.id, code: '9002', message: 'Internal error' }, 12);
    const f2 = await nbi.store.recordFault({ deviceId: DEVICE, code: 'session', message: 'session timed out', detail: { after: 30 } }, 20);

    const all = await nbi.call('GET', `/api/v1/faults?deviceId=${DEVICE}`);
    expect(FaultPageSchema.parse(all.json).items.map((f) => f.id)).toEqual([f2.id, f1.id]);
    expect((await nbi.call('GET', `/api/v1/faults?taskId=${task!.id}`)).json.items.map((f: { id: string }) => f.id)).toEqual([f1.id]);
    expect((await nbi.call('GET', '/api/v1/faults?limit=1&offset=1')).json).toMatchObject({ total: 2, items: [{ id: f1.id }] });
    expect(FaultSchema.parse((await nbi.call('GET', `/api/v1/faults/${f2.id}`)).json).detail).toEqual({ after: 30 });
  });

  it('retries a fault: the task goes back to pending and the retry is counted', async () => {
    const fault = (await nbi.call('GET', '/api/v1/faults?limit=1&offset=1')).json.items[0];
    expect((await nbi.store.getTask(fault.taskId))?.status).toBe('fault');
    const res = await nbi.call('POST', `/api/v1/faults/${fault.id}/retry`);
    expect(res.status).toBe(200);
    expect(res.json.retries).toBe(1);
    expect(await nbi.store.getTask(fault.taskId)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await nbi.call('POST', '/api/v1/faults/nope/retry')).status).toBe(404);
  });

  it('clears a fault', async () => {
    const [fault] = (await nbi.call('GET', '/api/v1/faults')).json.items;
    expect((await nbi.call('DELETE', `/api/v1/faults/${fault.id}`)).status).toBe(204);
    expect(await nbi.store.getFault(fault.id)).toBeNull();
    expect((await nbi.call('DELETE', `/api/v1/faults/${fault.id}`)).status).toBe(404);
    expect((await nbi.call('GET', '/api/v1/faults')).json.total).toBe(1);
  });
});
