import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { SetParameterValues } from '@acs/cwmp';
import { makeFault } from '@acs/cwmp';
import { CATCH_ALL_TYPE_NAME } from './credentials.js';
import {
  addDeviceCredential,
  addTypeCredential,
  cpeId,
  digestProof,
  informRequest,
  makeFixture,
  verifyRequest,
  type Fixture,
  type TestCpe,
} from './registry.fixture.js';

const GW: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };
const GW2: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0002' };
const OTHER: TestCpe = { oui: '00BB22', productClass: 'ONT', serialNumber: 'X1' };

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
});
afterEach(async () => {
  await f.close();
});

describe('credentialsVerify with a device credential', () => {
  beforeEach(async () => {
    await f.store.upsertDevice({ id: cpeId(GW), oui: GW.oui, productClass: GW.productClass, serialNumber: GW.serialNumber }, f.now());
    await addDeviceCredential(f, cpeId(GW), 'gw-1', 's3cret-pass');
  });

  it('admits a correct Digest response computed from the password', async () => {
    const reply = await f.registry.verifyCredentials(verifyRequest(GW, 'gw-1', digestProof('gw-1', 's3cret-pass')));
    expect(reply).toEqual({ ok: true, scope: 'device', credentialId: expect.any(String) });
  });

  it('admits a correct Basic password', async () => {
    const reply = await f.registry.verifyCredentials(verifyRequest(GW, 'gw-1', { scheme: 'basic', password: 's3cret-pass' }));
    expect(reply.ok).toBe(true);
  });

  it('refuses a wrong password (Digest and Basic), a wrong realm and an unknown username', async () => {
    expect(await f.registry.verifyCredentials(verifyRequest(GW, 'gw-1', digestProof('gw-1', 'nope')))).toEqual({ ok: false, reason: 'bad_password' });
    expect(await f.registry.verifyCredentials(verifyRequest(GW, 'gw-1', { scheme: 'basic', password: 'nope' }))).toEqual({ ok: false, reason: 'bad_password' });
    expect(await f.registry.verifyCredentials(verifyRequest(GW, 'gw-1', digestProof('gw-1', 's3cret-pass', { realm: 'other' })))).toEqual({
      ok: false,
      reason: 'bad_password',
    });
    expect(await f.registry.verifyCredentials(verifyRequest(GW, 'ghost', digestProof('ghost', 'x')))).toEqual({ ok: false, reason: 'unknown_username' });
  });

  it('refuses the right password presented for another device (no impersonation)', async () => {
    expect(await f.registry.verifyCredentials(verifyRequest(GW2, 'gw-1', digestProof('gw-1', 's3cret-pass')))).toEqual({ ok: false, reason: 'wrong_device' });
    expect(await f.registry.verifyCredentials(verifyRequest(GW2, 'gw-1', { scheme: 'basic', password: 's3cret-pass' }))).toEqual({ ok: false, reason: 'wrong_device' });
  });

  it('a username shared by several devices admits each only with its own password', async () => {
    await f.store.upsertDevice({ id: cpeId(GW2), oui: GW2.oui, productClass: GW2.productClass, serialNumber: GW2.serialNumber }, f.now());
    await addDeviceCredential(f, cpeId(GW2), 'gw-1', 'other-pass');
    expect((await f.registry.verifyCredentials(verifyRequest(GW2, 'gw-1', digestProof('gw-1', 'other-pass')))).ok).toBe(true);
    expect(await f.registry.verifyCredentials(verifyRequest(GW2, 'gw-1', digestProof('gw-1', 's3cret-pass')))).toEqual({ ok: false, reason: 'bad_password' });
  });

  it('refuses a disabled credential', async () => {
    const [cred] = await f.store.listCredentials({ deviceId: cpeId(GW) });
    await f.store.updateCredential(cred!.id, { status: 'disabled' }, f.now());
    expect(await f.registry.verifyCredentials(verifyRequest(GW, 'gw-1', digestProof('gw-1', 's3cret-pass')))).toEqual({ ok: false, reason: 'disabled' });
  });
});

describe('type credentials, auto-onboarding and per-device onboarding', () => {
  let typeId: string;
  beforeEach(async () => {
    const type = await f.store.createDeviceType({ name: 'GW500', match: { oui: '00AA11', productClass: 'GW500' } }, f.now());
    typeId = type.id;
    await addTypeCredential(f, typeId, 'shared', 'shared-pass');
  });

  const sharedLogin = (cpe: TestCpe) => f.registry.verifyCredentials(verifyRequest(cpe, 'shared', digestProof('shared', 'shared-pass')));

  async function firstSession(cpe: TestCpe, sessionId: string) {
    const verified = await sharedLogin(cpe);
    if (!verified.ok) throw new Error(`login refused: ${verified.reason}`);
    const auth = { scope: verified.scope, credentialId: verified.credentialId, username: 'shared', ...(verified.deviceTypeId ? { deviceTypeId: verified.deviceTypeId } : {}) };
    return f.registry.recordInform(informRequest(f, cpe, { sessionId, events: ['0 BOOTSTRAP', '1 BOOT'], auth }));
  }

  it('checks the password before matching device types (a hostile serial pattern costs a wrong password nothing)', async () => {
    await f.store.createDeviceType({ name: 'hostile', match: { serialPattern: `${'*a'.repeat(12)}b` } }, f.now());
    const matchSpy = jest.spyOn(f.store, 'matchDeviceType');
    const wrong = await f.registry.verifyCredentials(verifyRequest({ ...GW, serialNumber: 'a'.repeat(32) }, 'shared', digestProof('shared', 'nope')));
    expect(wrong).toEqual({ ok: false, reason: 'bad_password' });
    expect(matchSpy).not.toHaveBeenCalled();
    expect((await sharedLogin(GW)).ok).toBe(true);
    expect(matchSpy).toHaveBeenCalledTimes(1);
  });

  it('admits a device its type matches, registers it bound to the type and publishes device.registered', async () => {
    expect(await sharedLogin(GW)).toEqual({ ok: true, scope: 'type', credentialId: expect.any(String), deviceTypeId: typeId });
    expect(await firstSession(GW, 's1')).toEqual({ deviceId: cpeId(GW), registered: true });
    expect((await f.store.getDevice(cpeId(GW)))?.deviceTypeId).toBe(typeId);
    const event = await f.waitForEvent(f.subjects.evt.deviceRegistered(cpeId(GW)));
    expect(event.payload).toMatchObject({ deviceId: cpeId(GW), via: 'device_type', deviceType: 'GW500' });
    // A second Inform is not a registration.
    expect((await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['2 PERIODIC'], auth: { scope: 'device', credentialId: 'x', username: 'u' } }))).registered).toBe(false);
  });

  it('refuses a device the type does not match', async () => {
    expect(await sharedLogin(OTHER)).toEqual({ ok: false, reason: 'wrong_device' });
  });

  it('onboards: pending credential, SPV of ManagementServer.Username/Password, active on success; shared creds then refused for it only', async () => {
    await firstSession(GW, 's1');
    const [pending] = await f.store.listCredentials({ deviceId: cpeId(GW) });
    expect(pending).toMatchObject({ status: 'pending', username: cpeId(GW) });

    const next = await f.registry.nextAction({ sessionId: 's1', deviceId: cpeId(GW) });
    if (next.action !== 'rpc') throw new Error('expected an RPC');
    const spv = next.rpc as SetParameterValues;
    expect(spv.name).toBe('SetParameterValues');
    expect(spv.parameterList.map((p) => p.name)).toEqual(['Device.ManagementServer.Username', 'Device.ManagementServer.Password']);
    const password = spv.parameterList[1]!.value;
    expect(spv.parameterList[0]!.value).toBe(cpeId(GW));
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    // The plaintext is not what the task stores.
    expect(JSON.stringify(await f.store.getTask(next.taskId))).not.toContain(password);

    // Before the CPE confirms, the shared credentials still work.
    expect((await sharedLogin(GW)).ok).toBe(true);
    await f.registry.recordResult({ sessionId: 's1', deviceId: cpeId(GW), taskId: next.taskId, method: 'SetParameterValues', outcome: { response: { name: 'SetParameterValuesResponse', status: 0 } } });
    expect((await f.store.getCredential(pending!.id))?.status).toBe('active');

    expect(await sharedLogin(GW)).toEqual({ ok: false, reason: 'wrong_device' });
    expect(await f.registry.verifyCredentials(verifyRequest(GW, cpeId(GW), digestProof(cpeId(GW), password)))).toEqual({
      ok: true,
      scope: 'device',
      credentialId: pending!.id,
    });
    // Its own credential cannot be used by another device of the type; the shared ones still admit new devices.
    expect(await f.registry.verifyCredentials(verifyRequest(GW2, cpeId(GW), digestProof(cpeId(GW), password)))).toEqual({ ok: false, reason: 'wrong_device' });
    expect((await sharedLogin(GW2)).ok).toBe(true);
  });

  it('a pending credential the CPE logs in with becomes active (the SPV answer was lost)', async () => {
    await firstSession(GW, 's1');
    const next = await f.registry.nextAction({ sessionId: 's1', deviceId: cpeId(GW) });
    if (next.action !== 'rpc') throw new Error('expected an RPC');
    const password = (next.rpc as SetParameterValues).parameterList[1]!.value;
    const reply = await f.registry.verifyCredentials(verifyRequest(GW, cpeId(GW), { scheme: 'basic', password }));
    expect(reply.ok).toBe(true);
    expect((await f.store.listCredentials({ deviceId: cpeId(GW) }))[0]?.status).toBe('active');
  });

  it('a CPE fault keeps the device on the shared credentials and records the fault; nothing is locked out', async () => {
    await f.close();
    f = await makeFixture({ maxAttempts: 1 });
    const type = await f.store.createDeviceType({ name: 'GW500', match: { oui: '00AA11', productClass: 'GW500' } }, f.now());
    await addTypeCredential(f, type.id, 'shared', 'shared-pass');
    await firstSession(GW, 's1');
    const next = await f.registry.nextAction({ sessionId: 's1', deviceId: cpeId(GW) });
    if (next.action !== 'rpc') throw new Error('expected an RPC');
    const fault = makeFault(9003, 'Invalid arguments', [{ parameterName: 'Device.ManagementServer.Password', faultCode: 9007, faultString: 'Invalid value' }]);
    await f.registry.recordResult({ sessionId: 's1', deviceId: cpeId(GW), taskId: next.taskId, method: 'SetParameterValues', outcome: { fault } });

    expect((await f.store.getTask(next.taskId))?.status).toBe('fault');
    expect((await f.store.listCredentials({ deviceId: cpeId(GW) }))[0]?.status).toBe('disabled');
    const faults = await f.store.listFaults({ deviceId: cpeId(GW) });
    expect(faults.items[0]).toMatchObject({ code: '9003', taskId: next.taskId });
    expect(faults.items[0]?.detail).toMatchObject({ setParameterValuesFault: [{ parameterName: 'Device.ManagementServer.Password', faultCode: 9007 }] });
    expect((await sharedLogin(GW)).ok).toBe(true);
    // And onboarding is not retried in a loop on the next Inform.
    await firstSession(GW, 's2');
    expect(await f.store.listCredentials({ deviceId: cpeId(GW) })).toHaveLength(1);
  });

  it('a type with onboarding off leaves the device on the shared credentials', async () => {
    await f.store.updateDeviceType(typeId, { onboarding: false }, f.now());
    await firstSession(GW, 's1');
    expect(await f.store.listCredentials({ deviceId: cpeId(GW) })).toEqual([]);
  });
});

describe('catch-all onboarding credentials (ACS_ONBOARDING_USERNAME/PASSWORD)', () => {
  it('admits any device, binds it to a more specific type when one matches, and is idempotent', async () => {
    const catchAll = await f.registry.ensureCatchAllType('lab', 'lab-pass');
    expect(catchAll).toMatchObject({ name: CATCH_ALL_TYPE_NAME, catchAll: true });
    expect((await f.registry.ensureCatchAllType('lab', 'lab-pass')).id).toBe(catchAll.id);
    expect(await f.store.listCredentials({ deviceTypeId: catchAll.id })).toHaveLength(1);

    expect(await f.registry.verifyCredentials(verifyRequest(OTHER, 'lab', digestProof('lab', 'lab-pass')))).toEqual({
      ok: true,
      scope: 'type',
      credentialId: expect.any(String),
      deviceTypeId: catchAll.id,
    });
    const specific = await f.store.createDeviceType({ name: 'GW500', match: { oui: '00AA11' } }, f.now());
    const reply = await f.registry.verifyCredentials(verifyRequest(GW, 'lab', { scheme: 'basic', password: 'lab-pass' }));
    expect(reply).toMatchObject({ ok: true, deviceTypeId: specific.id });
  });

  it('two replicas starting at once end with one type', async () => {
    const [a, b] = await Promise.all([f.registry.ensureCatchAllType('lab', 'lab-pass'), f.registry.ensureCatchAllType('lab', 'lab-pass')]);
    expect(a.id).toBe(b.id);
    expect((await f.store.listDeviceTypes()).filter((t) => t.name === CATCH_ALL_TYPE_NAME)).toHaveLength(1);
  });

  it('re-hashes the password when it changed', async () => {
    await f.registry.ensureCatchAllType('lab', 'old-pass');
    await f.registry.ensureCatchAllType('lab', 'new-pass');
    expect((await f.registry.verifyCredentials(verifyRequest(OTHER, 'lab', digestProof('lab', 'old-pass')))).ok).toBe(false);
    expect((await f.registry.verifyCredentials(verifyRequest(OTHER, 'lab', digestProof('lab', 'new-pass')))).ok).toBe(true);
  });
});
