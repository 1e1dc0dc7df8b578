import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REALM, enc, startNbiHarness } from '../../test/nbi/harness.js';
import type { NbiHarness } from '../../test/nbi/harness.js';
import { hashForDigest, verifyBasic } from '../secrets.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import { CredentialListSchema, CredentialSchema } from './schemas.js';

const DEVICE = '00259E-Router-SN1';
const PASSWORD = 'cpe-Secret-4711';
let nbi: NbiHarness;
let typeId: string;

beforeAll(async () => {
  nbi = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }));
  await nbi.store.upsertDevice({ id: DEVICE, oui: '00259E', productClass: 'Router', serialNumber: 'SN1' }, 1);
  typeId = (await nbi.store.createDeviceType({ name: 'routers', match: { oui: '00259E', productClass: 'Router' } }, 1)).id;
  await nbi.store.upsertDevice({ id: '00259E-Router-SN2', oui: '00259E', productClass: 'Router', serialNumber: 'SN2', deviceTypeId: typeId }, 1);
  await nbi.store.upsertDevice({ id: '00259E-Router-SN3', oui: '00259E', productClass: 'Router', serialNumber: 'SN3', deviceTypeId: typeId }, 1);
});

afterAll(async () => {
  await nbi.close();
  await nbi.store.close();
});

describe('CPE→ACS credentials', () => {
  it('stores HA1 and a scrypt hash for a device credential, and never echoes either or the password', async () => {
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'cpe-sn1', password: PASSWORD, scope: { kind: 'device', deviceId: DEVICE } } });
    expect(res.status).toBe(201);
    expect(CredentialSchema.parse(res.json)).toEqual({
      kind: 'cpe',
      id: expect.any(String),
      username: 'cpe-sn1',
      scope: { kind: 'device', deviceId: DEVICE },
      realm: REALM,
      status: 'active',
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
    });
    const stored = await nbi.store.getCredential(res.json.id);
    expect(stored?.ha1).toBe(hashForDigest('cpe-sn1', REALM, PASSWORD));
    expect(await verifyBasic(PASSWORD, stored!.basicHash)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(PASSWORD);
    for (const secret of [PASSWORD, stored!.ha1, stored!.basicHash]) expect(res.text).not.toContain(secret);
  });

  it('creates a device-type credential, lists by scope without secrets, and deletes it', async () => {
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'routers', password: PASSWORD, scope: { kind: 'deviceType', deviceTypeId: typeId } } });
    expect(res.status).toBe(201);
    const listed = await nbi.call('GET', `/api/v1/credentials?deviceTypeId=${typeId}`);
    expect(CredentialListSchema.parse(listed.json).items.map((c) => c.username)).toEqual(['routers']);
    const everything = await nbi.call('GET', '/api/v1/credentials');
    expect(everything.json.items).toHaveLength(2);
    expect(everything.text).not.toMatch(/ha1|basicHash|scrypt\$|password"/);
    expect(everything.text).not.toContain(PASSWORD);
    expect((await nbi.call('DELETE', `/api/v1/credentials/${res.json.id}`)).status).toBe(204);
    expect(await nbi.store.getCredential(res.json.id)).toBeNull();
    expect((await nbi.call('DELETE', `/api/v1/credentials/${res.json.id}`)).status).toBe(404);
  });

  it('answers 409 for a username taken in the same scope, 404 for an unknown type, 422 for a bad body', async () => {
    const taken = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'cpe-sn1', password: 'another-one', scope: { kind: 'device', deviceId: DEVICE } } });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe('CONFLICT');
    const noType = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'u', password: 'p', scope: { kind: 'deviceType', deviceTypeId: 'nope' } } });
    expect(noType.status).toBe(404);
    const badId = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'u', password: 'p', scope: { kind: 'device', deviceId: 'not a device id' } } });
    expect(badId.status).toBe(422);
    expect(badId.json.error.details.issues[0].path).toEqual(['scope', 'deviceId']);
    const noPassword = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'u', scope: { kind: 'device', deviceId: DEVICE } } });
    expect(noPassword.status).toBe(422);
    expect(noPassword.json.error.details.issues.map((i: { path: string[] }) => i.path)).toContainEqual(['password']);
    // The rejected password must not come back in the error either.
    const echo = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: '', password: 'do-not-echo-me', scope: { kind: 'device', deviceId: DEVICE } } });
    expect(echo.status).toBe(422);
    expect(echo.text).not.toContain('do-not-echo-me');
  });

  it('pre-provisions a credential for a device that has not called in yet', async () => {
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'cpe', username: 'future', password: PASSWORD, scope: { kind: 'device', deviceId: '00259E-Router-SN99' } } });
    expect(res.status).toBe(201);
  });
});

describe('connection-request credentials', () => {
  it('seals the password for a device, shows only the username, and can forget it', async () => {
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'connectionRequest', username: 'acs', password: 'cr-Secret-1', scope: { kind: 'device', deviceId: DEVICE } } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ kind: 'connectionRequest', id: `connreq:${DEVICE}`, username: 'acs', scope: { kind: 'device', deviceId: DEVICE }, passwordSet: true });
    const device = await nbi.store.getDevice(DEVICE);
    expect(device?.connectionRequestAuth?.passwordSealed).not.toContain('cr-Secret-1');
    expect(nbi.secretBox.decrypt(device!.connectionRequestAuth!.passwordSealed)).toBe('cr-Secret-1');

    const listed = await nbi.call('GET', `/api/v1/credentials?kind=connectionRequest&deviceId=${enc(DEVICE)}`);
    expect(listed.json.items).toEqual([res.json]);
    expect(listed.text).not.toContain(device!.connectionRequestAuth!.passwordSealed);
    expect((await nbi.call('GET', `/api/v1/devices/${enc(DEVICE)}`)).text).not.toContain('cr-Secret-1');

    expect((await nbi.call('DELETE', `/api/v1/credentials/${encodeURIComponent(`connreq:${DEVICE}`)}`)).status).toBe(204);
    expect((await nbi.store.getDevice(DEVICE))?.connectionRequestAuth).toBeNull();
    expect((await nbi.call('DELETE', `/api/v1/credentials/${encodeURIComponent(`connreq:${DEVICE}`)}`)).status).toBe(404);
  });

  it('keeps a device type\'s connection-request credentials on the type, sealed, for present and future devices', async () => {
    const res = await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'connectionRequest', username: 'acs-type', password: 'cr-Type-2', scope: { kind: 'deviceType', deviceTypeId: typeId } } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ kind: 'connectionRequest', id: `connreq-type:${typeId}`, username: 'acs-type', scope: { kind: 'deviceType', deviceTypeId: typeId }, passwordSet: true });
    const stored = (await nbi.store.getDeviceType(typeId))?.connectionRequestAuth;
    expect(stored?.username).toBe('acs-type');
    expect(stored?.passwordSealed).not.toContain('cr-Type-2');
    expect(nbi.secretBox.decrypt(stored!.passwordSealed)).toBe('cr-Type-2');
    // Devices keep their own (none here): the router picks the newest of device and type at poke time.
    expect((await nbi.store.getDevice('00259E-Router-SN2'))?.connectionRequestAuth).toBeNull();
    const listed = await nbi.call('GET', `/api/v1/credentials?kind=connectionRequest&deviceTypeId=${typeId}`);
    expect(listed.json.items.map((c: { id: string }) => c.id)).toEqual([`connreq-type:${typeId}`]);
    expect(listed.text).not.toContain('cr-Type-2');
    expect(listed.text).not.toContain(stored!.passwordSealed);
    expect((await nbi.call('DELETE', `/api/v1/credentials/${encodeURIComponent(`connreq-type:${typeId}`)}`)).status).toBe(204);
    expect((await nbi.store.getDeviceType(typeId))?.connectionRequestAuth).toBeNull();
  });

  it('answers 404 for an unknown device and 422 for a listing without scope', async () => {
    expect((await nbi.call('POST', '/api/v1/credentials', { body: { kind: 'connectionRequest', username: 'a', password: 'b', scope: { kind: 'device', deviceId: '00259E-X-NOPE' } } })).status).toBe(404);
    expect((await nbi.call('GET', '/api/v1/credentials?kind=connectionRequest')).status).toBe(422);
  });
});
