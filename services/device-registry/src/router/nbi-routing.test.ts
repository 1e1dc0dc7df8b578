import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNbiHarness, type NbiHarness } from '../../test/nbi/harness.js';
import { DeviceTypeSchema } from '../nbi/schemas.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import { planConnectionRequest } from './route-plan.js';

// What the router reads, set through the NBI: a type's connection-request policy and its type-level credentials.
const DEVICE = '00259E-Router-SN7';
let nbi: NbiHarness;

beforeAll(async () => {
  nbi = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }));
});

afterAll(async () => {
  await nbi.close();
  await nbi.store.close();
});

describe('connection-request routing through the NBI', () => {
  it('creates a type with a policy, fills defaults, and replaces the policy on update', async () => {
    const vpn = { hostFromParameter: 'Device.X_VPN.IPAddress', egress: { localAddress: '10.8.0.1', proxyUrl: 'http://127.0.0.1:3128' } };
    const created = await nbi.call('POST', '/api/v1/device-types', { body: { name: 'vpn-routers', connectionRequestPolicy: { transports: ['xmpp', 'http'], vpn } } });
    expect(created.status).toBe(201);
    expect(DeviceTypeSchema.parse(created.json).connectionRequestPolicy).toEqual({ transports: ['xmpp', 'http'], deadlineMs: 30_000, allowBasicAuth: false, vpn, xmpp: null, stun: null });
    const id = created.json.id as string;
    const updated = await nbi.call('PUT', `/api/v1/device-types/${id}`, { body: { connectionRequestPolicy: { deadlineMs: 5_000 } } });
    expect(updated.status).toBe(200);
    expect(updated.json.connectionRequestPolicy).toEqual({ transports: ['xmpp', 'http', 'udp'], deadlineMs: 5_000, allowBasicAuth: false, vpn: null, xmpp: null, stun: null });
    expect((await nbi.store.getDeviceType(id))?.connectionRequestPolicy.deadlineMs).toBe(5_000);
  });

  it.each([
    [{ transports: ['http', 'http'] }, ['connectionRequestPolicy', 'transports']],
    [{ transports: ['pigeon'] }, ['connectionRequestPolicy', 'transports', 0]],
    [{ deadlineMs: 10 }, ['connectionRequestPolicy', 'deadlineMs']],
    [{ vpn: { egress: { localAddress: 'not-an-ip' } } }, ['connectionRequestPolicy', 'vpn', 'egress', 'localAddress']],
    [{ vpn: { hostFromParameter: 'Device.X', extra: 1 } }, ['connectionRequestPolicy', 'vpn']],
    [{ stun: { minimumKeepAlivePeriod: -1 } }, ['connectionRequestPolicy', 'stun', 'minimumKeepAlivePeriod']],
    [{ stun: { maximumKeepAlivePeriod: -2 } }, ['connectionRequestPolicy', 'stun', 'maximumKeepAlivePeriod']],
    [{ stun: { minimumKeepAlivePeriod: 60, maximumKeepAlivePeriod: 30 } }, ['connectionRequestPolicy', 'stun', 'maximumKeepAlivePeriod']],
    [{ stun: { requireAuth: 'yes' } }, ['connectionRequestPolicy', 'stun', 'requireAuth']],
    [{ stun: { password: 'x' } }, ['connectionRequestPolicy', 'stun']],
  ])('refuses the policy %j (422 at %j)', async (policy, path) => {
    const res = await nbi.call('POST', '/api/v1/device-types', { body: { name: `bad-${JSON.stringify(policy).length}-${path.length}`, connectionRequestPolicy: policy } });
    expect(res.status).toBe(422);
    expect(res.json.error.details.issues.map((i: { path: unknown }) => i.path)).toContainEqual(path);
  });

  it('sets up STUN with the defaults for what is left out, keeps -1 as no maximum, and clears it with null', async () => {
    const created = await nbi.call('POST', '/api/v1/device-types', { body: { name: 'stun-gw', connectionRequestPolicy: { stun: {} } } });
    expect(created.status).toBe(201);
    expect(DeviceTypeSchema.parse(created.json).connectionRequestPolicy.stun).toEqual({ requireAuth: true, minimumKeepAlivePeriod: 30, maximumKeepAlivePeriod: 120 });
    const id = created.json.id as string;
    const open = await nbi.call('PUT', `/api/v1/device-types/${id}`, { body: { connectionRequestPolicy: { stun: { requireAuth: false, minimumKeepAlivePeriod: 300, maximumKeepAlivePeriod: -1 } } } });
    expect(open.status).toBe(200);
    expect(open.json.connectionRequestPolicy.stun).toEqual({ requireAuth: false, minimumKeepAlivePeriod: 300, maximumKeepAlivePeriod: -1 });
    expect((await nbi.store.getDeviceType(id))?.connectionRequestPolicy.stun).toEqual({ requireAuth: false, minimumKeepAlivePeriod: 300, maximumKeepAlivePeriod: -1 });
    const off = await nbi.call('PUT', `/api/v1/device-types/${id}`, { body: { connectionRequestPolicy: { stun: null } } });
    expect(off.json.connectionRequestPolicy.stun).toBeNull();
  });

  it('keeps type-level connection-request credentials sealed on the type, never shows them, and the router uses them', async () => {
    const type = await nbi.store.createDeviceType({ name: 'routers' }, 1);
    await nbi.store.upsertDevice({ id: DEVICE, oui: '00259E', productClass: 'Router', serialNumber: 'SN7', deviceTypeId: type.id, connectionRequest: { connectionRequestURL: 'http://127.0.0.1:9/cr' } }, 1);
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'connectionRequest', username: 'type-cr', password: 'type-Secret-99', scope: { kind: 'deviceType', deviceTypeId: type.id } } });
    expect(res.status).toBe(201);
    const stored = await nbi.store.getDeviceType(type.id);
    expect(stored?.connectionRequestAuth?.username).toBe('type-cr');
    expect(nbi.secretBox.decrypt(stored?.connectionRequestAuth?.passwordSealed ?? '')).toBe('type-Secret-99');

    const shown = await nbi.call('GET', `/api/v1/device-types/${type.id}`);
    expect(DeviceTypeSchema.parse(shown.json).connectionRequestAuth).toEqual({ username: 'type-cr', passwordSet: true, updatedAt: expect.any(Number) });
    const listed = await nbi.call('GET', '/api/v1/device-types');
    for (const text of [shown.text, listed.text]) {
      expect(text).not.toContain(stored?.connectionRequestAuth?.passwordSealed);
      expect(text).not.toContain('type-Secret-99');
    }

    // A device that joins the type later has none of its own: the type's are what a poke presents.
    await nbi.store.upsertDevice({ id: '00259E-Router-SN8', oui: '00259E', productClass: 'Router', serialNumber: 'SN8', deviceTypeId: type.id, connectionRequest: { connectionRequestURL: 'http://127.0.0.1:9/cr' } }, 2);
    const late = await nbi.store.getDevice('00259E-Router-SN8');
    const plan = planConnectionRequest({ requestId: 'r', device: late!, type: stored, secrets: nbi.secretBox, now: 3 });
    expect('commands' in plan && plan.commands[0].command).toMatchObject({ credentials: { username: 'type-cr', password: 'type-Secret-99' } });
  });

  it('marks device credentials set through the NBI as such', async () => {
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'connectionRequest', username: 'dev-cr', password: 'dev-Secret-77', scope: { kind: 'device', deviceId: DEVICE } } });
    expect(res.status).toBe(201);
    expect((await nbi.store.getDevice(DEVICE))?.connectionRequestAuth).toMatchObject({ username: 'dev-cr', source: 'nbi', updatedAt: expect.any(Number) });
  });
});
