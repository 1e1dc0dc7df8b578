import { afterEach, describe, expect, it } from '@jest/globals';
import type { GetParameterNamesResponse, GetParameterValuesResponse, GetRPCMethodsResponse, TransferComplete } from '@acs/cwmp';
import { bundledModelSpec, createCpe, type Cpe } from '../src/index.js';
import { makeCpe } from './support/make-cpe.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { waitFor } from './support/wait-for.js';

const MS = 'Device.ManagementServer.';
let acs: TestAcs | undefined;
let cpe: Cpe | undefined;

afterEach(async () => {
  await cpe?.stop();
  await acs?.close();
  cpe = undefined;
  acs = undefined;
});

const codes = (events: { eventCode: string; commandKey: string }[]) => events.map((e) => e.eventCode);

describe('a simulated CPE against the scripted ACS', () => {
  it('bootstraps on first contact, boots afterwards, and carries the forced parameters', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    expect((await cpe.inform()).error?.code).toBe('STOPPED');
    await cpe.start({ inform: false });
    const r1 = await cpe.inform();
    expect(r1.ok).toBe(true);
    const s1 = acs.sessions[0];
    expect(codes(s1?.inform.event ?? [])).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    expect(s1?.inform.deviceId).toEqual({ manufacturer: 'ACME', oui: '02A0C5', productClass: 'SimGW', serialNumber: 'SIM000001' });
    const params = new Map(s1?.inform.parameterList.map((p) => [p.name, p.value]));
    expect(params.get('Device.RootDataModelVersion')).toBe('2.17');
    expect(params.get(`${MS}ConnectionRequestURL`)).toBe(cpe.connectionRequestUrl);
    expect(cpe.connectionRequestUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cr\//);

    const r2 = await cpe.inform(['2 PERIODIC']);
    expect(r2.ok).toBe(true);
    expect(codes(acs.sessions[1]?.inform.event ?? [])).toEqual(['2 PERIODIC']);

    await cpe.stop();
    await cpe.start({ inform: false });
    expect((await cpe.inform()).events).toEqual(['1 BOOT']);
  });

  it('answers GPV, SPV, GPN and AddObject over HTTP and echoes the session cookie on every POST', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    acs.queue(
      'SIM000001',
      { name: 'GetParameterValues', parameterNames: [`${MS}PeriodicInformInterval`] },
      { name: 'SetParameterValues', parameterList: [{ name: `${MS}PeriodicInformInterval`, value: '90', type: 'unsignedInt' }], parameterKey: 'cfg-1' },
      { name: 'GetParameterValues', parameterNames: [`${MS}PeriodicInformInterval`, `${MS}ParameterKey`] },
      { name: 'GetParameterNames', parameterPath: 'Device.XMPP.', nextLevel: true },
      { name: 'AddObject', objectName: 'Device.XMPP.Connection.', parameterKey: 'cfg-2' },
      { name: 'SetParameterValues', parameterList: [{ name: 'Device.Nope', value: 'x', type: 'string' }], parameterKey: 'cfg-3' },
      { name: 'GetRPCMethods' },
    );
    await cpe.start({ inform: false });
    const r = await cpe.inform();
    expect(r.ok).toBe(true);
    expect(r.rpcs).toEqual(['GetParameterValues', 'SetParameterValues', 'GetParameterValues', 'GetParameterNames', 'AddObject', 'SetParameterValues', 'GetRPCMethods']);
    expect(r.faults).toEqual([9003]);
    const [s] = await acs.waitForSessions(1);
    const m = s?.messages ?? [];
    expect((m[0] as GetParameterValuesResponse).parameterList).toEqual([{ name: `${MS}PeriodicInformInterval`, value: '300', type: 'unsignedInt' }]);
    expect(m[1]).toEqual({ name: 'SetParameterValuesResponse', status: 0 });
    expect((m[2] as GetParameterValuesResponse).parameterList.map((p) => p.value)).toEqual(['90', 'cfg-1']);
    expect((m[3] as GetParameterNamesResponse).parameterList.map((p) => p.name)).toEqual(expect.arrayContaining(['Device.XMPP.Connection.']));
    expect(m[4]).toEqual({ name: 'AddObjectResponse', instanceNumber: 1, status: 0 });
    expect(m[5]).toMatchObject({ name: 'Fault', detail: { faultCode: 9003, setParameterValuesFault: [{ parameterName: 'Device.Nope', faultCode: 9005 }] } });
    expect((m[6] as GetRPCMethodsResponse).methodList).toEqual(expect.arrayContaining(['GetParameterValues', 'AddObject', 'Download', 'Reboot', 'FactoryReset']));
    expect(cpe.model.getValue(`${MS}ParameterKey`)).toBe('cfg-2');
    // 7 RPC responses + the empty POST, each with the cookie from the InformResponse.
    expect(s?.cookieEchoed).toEqual(Array(8).fill(true));
  });

  it('reboots after the session and comes back with 1 BOOT + M Reboot and the CommandKey', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    await cpe.start({ inform: false });
    await cpe.inform();
    acs.queue('SIM000001', { name: 'Reboot', commandKey: 'reboot-7' });
    await cpe.inform(['2 PERIODIC']);
    const sessions = await acs.waitForSessions(3);
    expect(sessions[2]?.inform.event).toEqual([
      { eventCode: '1 BOOT', commandKey: '' },
      { eventCode: 'M Reboot', commandKey: 'reboot-7' },
    ]);
  });

  it('factory-resets: model back to defaults, then 0 BOOTSTRAP + 1 BOOT', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    await cpe.start({ inform: false });
    await cpe.inform();
    acs.queue(
      'SIM000001',
      { name: 'SetParameterValues', parameterList: [{ name: `${MS}PeriodicInformInterval`, value: '77', type: 'unsignedInt' }], parameterKey: 'before-reset' },
      { name: 'FactoryReset' },
    );
    await cpe.inform(['2 PERIODIC']);
    const sessions = await acs.waitForSessions(3);
    expect(codes(sessions[2]?.inform.event ?? [])).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    expect(cpe.model.getValue(`${MS}PeriodicInformInterval`)).toBe('300');
    expect(cpe.model.getValue(`${MS}ParameterKey`)).toBe('');
    const params = new Map(sessions[2]?.inform.parameterList.map((p) => [p.name, p.value]));
    expect(params.get(`${MS}ConnectionRequestURL`)).toBe(cpe.connectionRequestUrl);
  });

  it('downloads a file served by the test, then reports TransferComplete with 7 TRANSFER COMPLETE + M Download', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    const file = Buffer.alloc(4096, 7);
    const url = acs.serveFile('fw.bin', file);
    await cpe.start({ inform: false });
    await cpe.inform();
    acs.queue('SIM000001', {
      name: 'Download', commandKey: 'fw-1', fileType: '1 Firmware Upgrade Image', url, username: '', password: '',
      fileSize: file.length, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '',
    });
    const r = await cpe.inform(['2 PERIODIC']);
    expect(r.rpcs).toEqual(['Download']);
    const sessions = await acs.waitForSessions(3);
    expect(sessions[1]?.messages[0]).toMatchObject({ name: 'DownloadResponse', status: 1 });
    expect(sessions[2]?.inform.event).toEqual([
      { eventCode: '7 TRANSFER COMPLETE', commandKey: '' },
      { eventCode: 'M Download', commandKey: 'fw-1' },
    ]);
    const tc = sessions[2]?.messages[0] as TransferComplete;
    expect(tc).toMatchObject({ name: 'TransferComplete', commandKey: 'fw-1', faultStruct: { faultCode: 0 } });
    expect(Date.parse(tc.completeTime)).toBeGreaterThanOrEqual(Date.parse(tc.startTime));
    await cpe.whenIdle();
    expect(cpe.pendingEvents()).toEqual([]);
  });

  it('reports a fault in TransferComplete when the file has the wrong size, and 9013 for an unsupported scheme', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    const url = acs.serveFile('short.bin', Buffer.alloc(100));
    await cpe.start({ inform: false });
    await cpe.inform();
    const dl = { name: 'Download' as const, fileType: '3 Vendor Configuration File', username: '', password: '', targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' };
    acs.queue('SIM000001', { ...dl, commandKey: 'cfg-9', url, fileSize: 5000 }, { ...dl, commandKey: 'ftp', url: 'ftp://127.0.0.1/x', fileSize: 1 });
    const r = await cpe.inform(['2 PERIODIC']);
    expect(r.faults).toEqual([9013]);
    const sessions = await acs.waitForSessions(3);
    expect(sessions[2]?.messages[0]).toMatchObject({ name: 'TransferComplete', commandKey: 'cfg-9', faultStruct: { faultCode: 9010 } });
  });

  it('sends 3 SCHEDULED + M ScheduleInform after DelaySeconds', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    await cpe.start({ inform: false });
    await cpe.inform();
    acs.queue('SIM000001', { name: 'ScheduleInform', delaySeconds: 2, commandKey: 'sched-1' });
    const done = await cpe.inform(['2 PERIODIC']);
    const sessions = await acs.waitForSessions(3);
    expect(sessions[2]?.inform.event).toEqual([
      { eventCode: '3 SCHEDULED', commandKey: '' },
      { eventCode: 'M ScheduleInform', commandKey: 'sched-1' },
    ]);
    // 2 protocol seconds of 20 ms each.
    expect(Date.now() - (done.startedAt + done.durationMs)).toBeGreaterThanOrEqual(35);
  });

  it('opens a 4 VALUE CHANGE session with the new value when an active-notification parameter changes', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url });
    await cpe.start({ inform: false });
    acs.queue('SIM000001', {
      name: 'SetParameterAttributes',
      parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }],
    });
    await cpe.inform();
    expect(cpe.model.setLocal('Device.WiFi.SSID.1.SSID', 'renamed-on-the-lan')).toBe(true);
    const sessions = await acs.waitForSessions(2);
    expect(codes(sessions[1]?.inform.event ?? [])).toEqual(['4 VALUE CHANGE']);
    expect(sessions[1]?.inform.parameterList).toContainEqual({ name: 'Device.WiFi.SSID.1.SSID', value: 'renamed-on-the-lan', type: 'string' });
  });

  it('authenticates with Digest towards the ACS, and fails the session on a wrong password', async () => {
    acs = await startTestAcs({ auth: 'digest', username: 'cpe-1', password: 's3cret' });
    cpe = makeCpe({ acsUrl: acs.url, username: 'cpe-1', password: 's3cret' });
    await cpe.start({ inform: false });
    const ok = await cpe.inform();
    expect(ok.ok).toBe(true);
    expect(acs.statuses.slice(0, 2)).toEqual([401, 200]);
    await cpe.stop();

    cpe = makeCpe({ acsUrl: acs.url, username: 'cpe-1', password: 'wrong', retry: false });
    await cpe.start({ inform: false });
    const bad = await cpe.inform();
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe('AUTH_FAILED');
    expect(cpe.pendingEvents().map((e) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
  });

  it('authenticates with Basic when configured', async () => {
    acs = await startTestAcs({ auth: 'basic', username: 'cpe-b', password: 'pw-b' });
    cpe = makeCpe({ acsUrl: acs.url, username: 'cpe-b', password: 'pw-b', auth: 'basic' });
    await cpe.start({ inform: false });
    expect((await cpe.inform()).ok).toBe(true);
    expect(acs.statuses).not.toContain(401);
  });

  it('retries after a 503 with Retry-After and reports RetryCount', async () => {
    acs = await startTestAcs();
    acs.reject503(1, 2);
    cpe = makeCpe({ acsUrl: acs.url });
    const results: boolean[] = [];
    cpe.onSession((r) => results.push(r.ok));
    await cpe.start();
    const [s] = await acs.waitForSessions(1);
    await waitFor(() => results.length >= 2, 5_000, () => 'the CPE to see both sessions end');
    expect(results).toEqual([false, true]);
    expect(acs.statuses[0]).toBe(503);
    expect(s?.inform.retryCount).toBe(1);
    expect(codes(s?.inform.event ?? [])).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    expect(cpe.retryCount).toBe(0);
  });

  it('keeps events across a failed session but drops 6 CONNECTION REQUEST, and backs off by itself', async () => {
    acs = await startTestAcs();
    const url = acs.url;
    await acs.close();
    acs = undefined;
    cpe = makeCpe({ acsUrl: url, retryMinWaitS: 1 });
    const failures: string[] = [];
    cpe.onSession((r) => failures.push(r.error?.code ?? 'ok'));
    await cpe.start({ inform: false });
    cpe.requestConnection();
    await waitFor(() => failures.length >= 2, 5_000, () => 'two failed attempts');
    expect(failures.slice(0, 2)).toEqual(['UNREACHABLE', 'UNREACHABLE']);
    expect(cpe.pendingEvents().map((e) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    expect(cpe.retryCount).toBeGreaterThanOrEqual(2);
  });

  it('honours HoldRequests: no TransferComplete while the ACS holds, the events stay pending', async () => {
    acs = await startTestAcs({ holdRequests: true });
    cpe = makeCpe({ acsUrl: acs.url });
    const url = acs.serveFile('f.bin', Buffer.alloc(10));
    await cpe.start({ inform: false });
    await cpe.inform();
    acs.queue('SIM000001', {
      name: 'Download', commandKey: 'held', fileType: '2 Web Content', url, username: '', password: '',
      fileSize: 10, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '',
    });
    await cpe.inform(['2 PERIODIC']);
    const sessions = await acs.waitForSessions(3);
    expect(codes(sessions[2]?.inform.event ?? [])).toEqual(['7 TRANSFER COMPLETE', 'M Download']);
    expect(sessions[2]?.messages).toEqual([]);
    await cpe.whenIdle();
    expect(cpe.pendingEvents().map((e) => e.eventCode)).toEqual(['7 TRANSFER COMPLETE', 'M Download']);
  });

  it('informs with 2 PERIODIC on PeriodicInformInterval when timers are on and PeriodicInformEnable is true', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url, periodicInform: true });
    acs.queue('SIM000001', {
      name: 'SetParameterValues',
      parameterList: [{ name: `${MS}PeriodicInformInterval`, value: '2', type: 'unsignedInt' }],
      parameterKey: 'periodic',
    });
    await cpe.start();
    const sessions = await acs.waitForSessions(3);
    expect(codes(sessions[1]?.inform.event ?? [])).toEqual(['2 PERIODIC']);
    expect(codes(sessions[2]?.inform.event ?? [])).toEqual(['2 PERIODIC']);
    acs.queue('SIM000001', {
      name: 'SetParameterValues',
      parameterList: [{ name: `${MS}PeriodicInformEnable`, value: 'false', type: 'boolean' }],
      parameterKey: 'off',
    });
    const server = acs;
    const count = server.sessions.length;
    await waitFor(() => server.sessions.filter((x) => x.ended).length >= count + 1, 5_000, () => 'the session that turns timers off');
    await cpe.whenIdle();
    const after = acs.sessions.length;
    // No timer is left: nothing is pending and no further session starts by itself.
    expect(cpe.pendingEvents()).toEqual([]);
    expect(acs.sessions.length).toBe(after);
  });

  it('bootstraps to a new ACS after an SPV of ManagementServer.URL', async () => {
    acs = await startTestAcs();
    const other = await startTestAcs();
    try {
      cpe = makeCpe({ acsUrl: acs.url });
      acs.queue('SIM000001', { name: 'SetParameterValues', parameterList: [{ name: `${MS}URL`, value: other.url, type: 'string' }], parameterKey: 'move' });
      await cpe.start({ inform: false });
      await cpe.inform();
      await cpe.inform(['2 PERIODIC']);
      const [s] = await other.waitForSessions(1);
      expect(codes(s?.inform.event ?? [])).toEqual(['0 BOOTSTRAP', '2 PERIODIC']);
    } finally {
      await cpe?.stop();
      await other.close();
    }
  });

  it('runs the TR-098 model: InternetGatewayDevice forced parameters, GPN from the root, AddObject of a WAN connection', async () => {
    acs = await startTestAcs();
    cpe = makeCpe({ acsUrl: acs.url, model: 'tr098' });
    const WCD = 'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.';
    acs.queue(
      'SIM000001',
      { name: 'GetParameterNames', parameterPath: '', nextLevel: true },
      { name: 'AddObject', objectName: `${WCD}WANPPPConnection.`, parameterKey: 'ppp' },
      { name: 'GetParameterValues', parameterNames: [`${WCD}WANPPPConnection.1.Username`] },
    );
    await cpe.start({ inform: false });
    expect((await cpe.inform()).ok).toBe(true);
    const [s] = await acs.waitForSessions(1);
    const params = new Map(s?.inform.parameterList.map((p) => [p.name, p.value]));
    expect(params.get(`${WCD}WANIPConnection.1.ExternalIPAddress`)).toBe('10.0.0.2');
    expect(params.has('InternetGatewayDevice.DeviceSummary')).toBe(true);
    expect(params.get('InternetGatewayDevice.ManagementServer.ConnectionRequestURL')).toBe(cpe.connectionRequestUrl);
    expect(s?.messages[0]).toEqual({ name: 'GetParameterNamesResponse', parameterList: [{ name: 'InternetGatewayDevice.', writable: false }] });
    expect(s?.messages[1]).toEqual({ name: 'AddObjectResponse', instanceNumber: 1, status: 0 });
    expect(s?.messages[2]).toEqual({
      name: 'GetParameterValuesResponse',
      parameterList: [{ name: `${WCD}WANPPPConnection.1.Username`, value: '', type: 'string' }],
    });
  });

  it('publishes its ConnectionRequestURL at start without a session of its own (static model spec)', async () => {
    acs = await startTestAcs();
    const ctx = {
      manufacturer: 'ACME', oui: '02A0C5', productClass: 'SimGW', serialNumber: 'STATIC1', macAddress: '02:5A:00:00:00:09',
      wanIpAddress: '10.0.0.9', acsUrl: acs.url, username: '', password: '', connectionRequestUrl: '',
      connectionRequestUsername: 'u', connectionRequestPassword: 'p', periodicInformEnable: 'false', periodicInformInterval: '60',
    };
    cpe = createCpe({ model: bundledModelSpec('tr181', ctx), deviceId: { manufacturer: 'ACME', oui: '02A0C5', productClass: 'SimGW', serialNumber: 'STATIC1' }, secondMs: 20 });
    await cpe.start({ inform: false });
    expect(cpe.model.getValue(`${MS}ConnectionRequestURL`)).toBe(cpe.connectionRequestUrl);
    const r = await cpe.inform();
    expect(r.events).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    await cpe.whenIdle();
    expect(acs.sessions).toHaveLength(1);
  });
});
