import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SetParameterValues } from '@acs/cwmp';
import { profileParameterKey } from './profiles.js';
import { cpeId, informRequest, makeFixture, type Fixture, type TestCpe } from './registry.fixture.js';
import type { DeviceType } from './store/types.js';

const GW: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };
const IGD: TestCpe = { oui: '00CC33', productClass: 'IGD', serialNumber: 'T-98', root: 'InternetGatewayDevice.' };
const auth = { scope: 'device' as const, credentialId: 'c1', username: 'u' };

let f: Fixture;
let type: DeviceType;
beforeEach(async () => {
  f = await makeFixture();
  type = await f.store.createDeviceType(
    {
      name: 'gateways',
      match: { oui: '00AA11' },
      onboarding: false,
      profile: [
        { path: 'ManagementServer.PeriodicInformInterval', value: '3600', type: 'xsd:unsignedInt' },
        { path: 'Device.DeviceInfo.X_ACME_Label', value: '{oui}/{productClass}/{serialNumber} ({deviceId})', type: 'xsd:string' },
        { path: 'WiFi.AccessPoint.1.Security.KeyPassphrase', value: 'wifi-{secret:wifi}', type: 'xsd:string' },
      ],
      connectionRequestCredentials: { mode: 'generate', usernameTemplate: 'cr-{serialNumber}', passwordLength: 20 },
    },
    f.now(),
  );
});
afterEach(async () => {
  await f.close();
});

const tasksOf = async (cpe: TestCpe) => (await f.store.listTasks({ deviceId: cpeId(cpe), status: ['pending'] })).items;

describe('informRecord', () => {
  it('learns connection-request credentials a CPE reports in clear, sealed, as the newest source', async () => {
    await f.registry.recordInform(
      informRequest(f, GW, {
        sessionId: 's-learn',
        events: ['2 PERIODIC'],
        params: { 'Device.ManagementServer.ConnectionRequestUsername': 'cr-own', 'Device.ManagementServer.ConnectionRequestPassword': 'own-secret' },
        auth,
      }),
    );
    const learned = (await f.store.getDevice(cpeId(GW)))?.connectionRequestAuth;
    expect(learned).toMatchObject({ username: 'cr-own', source: 'learned', updatedAt: f.now() });
    expect(learned?.passwordSealed).not.toContain('own-secret');
    expect(f.secretBox.decrypt(learned?.passwordSealed ?? '')).toBe('own-secret');
    const stored = await f.store.getParameters(cpeId(GW), 'Device.ManagementServer.ConnectionRequestPassword');
    expect(stored.map((p) => p.value)).toEqual(['']);

    // The usual read-back (an empty password) teaches nothing and keeps what is known.
    await f.registry.recordInform(
      informRequest(f, GW, {
        sessionId: 's-learn-2',
        events: ['2 PERIODIC'],
        params: { 'Device.ManagementServer.ConnectionRequestUsername': 'cr-own', 'Device.ManagementServer.ConnectionRequestPassword': '' },
        auth,
      }),
    );
    expect((await f.store.getDevice(cpeId(GW)))?.connectionRequestAuth).toEqual(learned);
  });

  it('names the recent poke an Inform with 6 CONNECTION REQUEST answers, and only then', async () => {
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's0', events: ['1 BOOT'], auth }));
    await f.store.recordPoke(cpeId(GW), { requestId: 'poke-42', at: f.now() });
    const periodic = await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['2 PERIODIC'], auth }));
    expect(periodic.pokeRequestId).toBeUndefined();
    const answered = await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['6 CONNECTION REQUEST'], auth }));
    expect(answered).toEqual({ deviceId: cpeId(GW), registered: false, pokeRequestId: 'poke-42' });
  });

  it('stores identity, versions, type binding, times, source IP, connection-request data and the Inform parameters', async () => {
    const reply = await f.registry.recordInform(
      informRequest(f, GW, {
        sessionId: 's1',
        events: ['1 BOOT'],
        auth,
        params: {
          'Device.ManagementServer.UDPConnectionRequestAddress': '198.51.100.7:5060',
          'Device.ManagementServer.NATDetected': 'true',
          'Device.ManagementServer.ConnReqJabberID': 'gw@xmpp.example.net/cwmp',
        },
      }),
    );
    expect(reply).toEqual({ deviceId: cpeId(GW), registered: true });
    const device = await f.store.getDevice(cpeId(GW));
    expect(device).toMatchObject({
      manufacturer: 'ACME',
      hardwareVersion: 'HW1',
      softwareVersion: 'SW1',
      deviceTypeId: type.id,
      lastInformAt: f.now(),
      lastBootAt: f.now(),
      lastBootstrapAt: null,
      sourceIp: '192.0.2.10',
      connectionRequest: {
        connectionRequestURL: 'http://192.0.2.10:7547/cr',
        udpConnectionRequestAddress: '198.51.100.7:5060',
        natDetected: true,
        connReqJabberID: 'gw@xmpp.example.net/cwmp',
      },
    });
    const params = await f.store.getParameters(cpeId(GW), 'Device.DeviceInfo.');
    expect(params.map((p) => [p.path, p.value, p.type, p.readAt])).toEqual([
      ['Device.DeviceInfo.HardwareVersion', 'HW1', 'xsd:string', f.now()],
      ['Device.DeviceInfo.SoftwareVersion', 'SW1', 'xsd:string', f.now()],
    ]);
  });

  it('updates parameters in place: a later Inform leaves the others and their readAt alone', async () => {
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['2 PERIODIC'], auth }));
    const first = f.now();
    f.advance(60_000);
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['4 VALUE CHANGE'], auth, params: { 'Device.DeviceInfo.SoftwareVersion': 'SW2' } }));
    const params = new Map((await f.store.getParameters(cpeId(GW), 'Device.DeviceInfo.')).map((p) => [p.path, p]));
    expect(params.get('Device.DeviceInfo.SoftwareVersion')).toMatchObject({ value: 'SW2', readAt: f.now() });
    expect((await f.store.getDevice(cpeId(GW)))?.lastInformAt).toBe(f.now());
    expect(first).toBeLessThan(f.now());
  });

  it('on 0 BOOTSTRAP queues the profile (templated, sealed secrets, ParameterKey) and a discovery refresh, system tasks before user tasks', async () => {
    await f.store.upsertDevice({ id: cpeId(GW), oui: GW.oui, productClass: GW.productClass, serialNumber: GW.serialNumber }, f.now());
    await f.store.createTasks(cpeId(GW), [{ type: 'reboot', args: {} }], f.now());
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['0 BOOTSTRAP', '1 BOOT'], auth }));

    const pending = await tasksOf(GW);
    expect(pending.map((t) => t.type)).toEqual(['reboot', 'setParameterValues', 'refresh']);
    const first = await f.registry.nextAction({ sessionId: 's1', deviceId: cpeId(GW) });
    if (first.action !== 'rpc') throw new Error('expected an RPC');
    const spv = first.rpc as SetParameterValues;
    expect(spv.name).toBe('SetParameterValues');
    expect(spv.parameterKey).toBe(profileParameterKey(type));
    expect(spv.parameterKey.length).toBeLessThanOrEqual(32);
    const values = new Map(spv.parameterList.map((p) => [p.name, p]));
    expect(values.get('Device.ManagementServer.PeriodicInformInterval')).toEqual({ name: 'Device.ManagementServer.PeriodicInformInterval', value: '3600', type: 'unsignedInt' });
    expect(values.get('Device.DeviceInfo.X_ACME_Label')?.value).toBe(`00AA11/GW500/SN0001 (${cpeId(GW)})`);
    expect(values.get('Device.WiFi.AccessPoint.1.Security.KeyPassphrase')?.value).toMatch(/^wifi-[A-Za-z0-9]{24}$/);
    expect(values.get('Device.ManagementServer.ConnectionRequestUsername')?.value).toBe('cr-SN0001');
    const crPassword = values.get('Device.ManagementServer.ConnectionRequestPassword')?.value ?? '';
    expect(crPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    // Generated secrets are sealed in the task, not stored in clear.
    const stored = JSON.stringify(await f.store.getTask(first.taskId));
    expect(stored).not.toContain(crPassword);
    expect(stored).not.toContain(values.get('Device.WiFi.AccessPoint.1.Security.KeyPassphrase')?.value ?? '');

    await f.registry.recordResult({ sessionId: 's1', deviceId: cpeId(GW), taskId: first.taskId, method: 'SetParameterValues', outcome: { response: { name: 'SetParameterValuesResponse', status: 0 } } });
    // The accepted connection-request credentials are remembered, sealed with the secret box.
    const device = await f.store.getDevice(cpeId(GW));
    expect(device?.connectionRequestAuth?.username).toBe('cr-SN0001');
    expect(f.secretBox.decrypt(device?.connectionRequestAuth?.passwordSealed ?? '')).toBe(crPassword);
    expect((await f.store.getParameters(cpeId(GW), 'Device.ManagementServer.PeriodicInformInterval'))[0]?.value).toBe('3600');

    const second = await f.registry.nextAction({ sessionId: 's1', deviceId: cpeId(GW) });
    expect(second).toMatchObject({ action: 'rpc', rpc: { name: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false } });
  });

  it('on 1 BOOT queues the profile again unless the device reports its ParameterKey; never twice', async () => {
    await f.store.upsertDevice({ id: cpeId(GW), oui: GW.oui, productClass: GW.productClass, serialNumber: GW.serialNumber }, f.now());
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['1 BOOT'], auth }));
    expect((await tasksOf(GW)).map((t) => t.type)).toEqual(['setParameterValues']);
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['1 BOOT'], auth }));
    expect(await tasksOf(GW)).toHaveLength(1);

    const other: TestCpe = { ...GW, serialNumber: 'SN0009' };
    await f.store.upsertDevice({ id: cpeId(other), oui: other.oui, productClass: other.productClass, serialNumber: other.serialNumber }, f.now());
    await f.registry.recordInform(informRequest(f, other, { sessionId: 's4', events: ['1 BOOT'], auth, params: { 'Device.ManagementServer.ParameterKey': profileParameterKey(type) } }));
    expect(await tasksOf(other)).toHaveLength(0);
  });

  it('first contact without 0 BOOTSTRAP still gets the profile and discovery; a device of no type only discovery', async () => {
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['2 PERIODIC'], auth }));
    expect((await tasksOf(GW)).map((t) => t.type)).toEqual(['setParameterValues', 'refresh']);
    await f.registry.recordInform(informRequest(f, IGD, { sessionId: 's2', events: ['2 PERIODIC'], auth }));
    expect((await tasksOf(IGD)).map((t) => (t.type === 'refresh' ? t.args.path : t.type))).toEqual(['InternetGatewayDevice.']);
    // Known now: a periodic Inform queues nothing more.
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's3', events: ['2 PERIODIC'], auth }));
    expect(await tasksOf(GW)).toHaveLength(2);
  });

  it('uses the TR-098 root for root-relative profile paths and discovery', async () => {
    const igdType = await f.store.createDeviceType(
      { name: 'igd', match: { oui: '00CC33' }, onboarding: false, profile: [{ path: 'ManagementServer.PeriodicInformInterval', value: '600', type: 'xsd:unsignedInt' }], connectionRequestCredentials: { mode: 'none', usernameTemplate: '', passwordLength: 1 } },
      f.now(),
    );
    await f.registry.recordInform(informRequest(f, IGD, { sessionId: 's1', events: ['0 BOOTSTRAP'], auth }));
    expect((await f.store.getDevice(cpeId(IGD)))?.deviceTypeId).toBe(igdType.id);
    const tasks = await tasksOf(IGD);
    expect(tasks.map((t) => (t.type === 'refresh' ? t.args.path : t.type === 'setParameterValues' ? t.args.parameterList.map((p) => p.name) : null))).toEqual([
      ['InternetGatewayDevice.ManagementServer.PeriodicInformInterval'],
      'InternetGatewayDevice.',
    ]);
  });

  it('on 0 BOOTSTRAP of a known device forgets the cached tree and the connection-request credentials', async () => {
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['2 PERIODIC'], auth }));
    await f.store.upsertParameters(cpeId(GW), [{ path: 'Device.IP.Interface.1.Enable', value: 'true' }], f.now());
    await f.store.upsertDevice({ id: cpeId(GW), oui: GW.oui, productClass: GW.productClass, serialNumber: GW.serialNumber, connectionRequestAuth: { username: 'a', passwordSealed: f.secretBox.encrypt('b') } }, f.now());
    f.advance(1000);
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['0 BOOTSTRAP'], auth }));
    expect(await f.store.getParameters(cpeId(GW), 'Device.IP.')).toEqual([]);
    expect((await f.store.getParameters(cpeId(GW), 'Device.DeviceInfo.SoftwareVersion'))[0]?.value).toBe('SW1');
    const device = await f.store.getDevice(cpeId(GW));
    expect(device).toMatchObject({ lastBootstrapAt: f.now(), connectionRequestAuth: null });
  });
});
