// Each task kind becomes its RPC, and the CPE's answer is applied to the stored device.
import { describe, expect, it } from '@jest/globals';
import { answer, f, freshFixtureEachTest, GW, ID, next, param, queue } from './session.fixture.js';

freshFixtureEachTest();

describe('each task kind becomes its RPC and its answer is applied', () => {
  it('getParameterValues stores the values with readAt and types', async () => {
    await queue({ type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.'] } });
    const { rpc, taskId } = await next();
    expect(rpc).toEqual({ name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] });
    f.advance(5);
    await answer(taskId, { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '42', type: 'unsignedInt' }] });
    expect(await param('Device.DeviceInfo.UpTime')).toMatchObject({ value: '42', type: 'xsd:unsignedInt', readAt: f.now() });
    expect(await f.store.getTask(taskId)).toMatchObject({ status: 'done', result: { parameters: 1 } });
    const done = await f.waitForEvent(f.subjects.evt.taskDone(ID));
    expect(done.payload).toMatchObject({ taskId, name: 'GetParameterValues', sessionId: 's1' });
  });

  it('getParameterValues that reports ConnectionRequestUsername/Password in clear teaches them (learned, sealed)', async () => {
    await queue({ type: 'getParameterValues', args: { parameterNames: ['Device.ManagementServer.'] } });
    const { taskId } = await next();
    await answer(taskId, {
      name: 'GetParameterValuesResponse',
      parameterList: [
        { name: 'Device.ManagementServer.ConnectionRequestUsername', value: 'cpe-cr', type: 'string' },
        { name: 'Device.ManagementServer.ConnectionRequestPassword', value: 'cpe-pass', type: 'string' },
      ],
    });
    const auth = (await f.store.getDevice(ID))?.connectionRequestAuth;
    expect(auth).toMatchObject({ username: 'cpe-cr', source: 'learned' });
    expect(f.secretBox.decrypt(auth?.passwordSealed ?? '')).toBe('cpe-pass');
    // The parameter tree keeps the name, never the password.
    expect(await param('Device.ManagementServer.ConnectionRequestPassword')).toMatchObject({ value: '' });
    expect(await param('Device.ManagementServer.ConnectionRequestUsername')).toMatchObject({ value: 'cpe-cr' });
  });

  it('setParameterValues sends the given or the reported type and stores the new values', async () => {
    await f.store.upsertParameters(ID, [{ path: 'Device.ManagementServer.PeriodicInformEnable', value: 'false', type: 'xsd:boolean' }], f.now());
    await queue({
      type: 'setParameterValues',
      args: {
        parameterList: [
          { name: 'Device.ManagementServer.PeriodicInformEnable', value: 'true' },
          { name: 'Device.ManagementServer.PeriodicInformInterval', value: '300', type: 'xsd:unsignedInt' },
        ],
        parameterKey: 'op-7',
      },
    });
    const { rpc, taskId } = await next();
    expect(rpc).toEqual({
      name: 'SetParameterValues',
      parameterList: [
        { name: 'Device.ManagementServer.PeriodicInformEnable', value: 'true', type: 'boolean' },
        { name: 'Device.ManagementServer.PeriodicInformInterval', value: '300', type: 'unsignedInt' },
      ],
      parameterKey: 'op-7',
    });
    await answer(taskId, { name: 'SetParameterValuesResponse', status: 1 });
    expect(await param('Device.ManagementServer.PeriodicInformEnable')).toMatchObject({ value: 'true', type: 'xsd:boolean' });
    expect(await param('Device.ManagementServer.PeriodicInformInterval')).toMatchObject({ value: '300', type: 'xsd:unsignedInt' });
    expect((await f.store.getTask(taskId))?.result).toEqual({ status: 1 });
  });

  it('a setParameterValues with a type we cannot send fails without reaching the CPE', async () => {
    await queue({ type: 'setParameterValues', args: { parameterList: [{ name: 'Device.X', value: '1', type: 'xsd:float' }] } });
    expect(await f.registry.nextAction({ sessionId: 's1', deviceId: ID })).toEqual({ action: 'none' });
    const [task] = (await f.store.listTasks({ deviceId: ID })).items;
    expect(task).toMatchObject({ status: 'fault', fault: { code: 'INVALID_TASK_ARGS' } });
  });

  it('getParameterNames stores names, writable and object flags and prunes vanished instances', async () => {
    await f.store.upsertParameters(
      ID,
      [
        { path: 'Device.IP.Interface.1.Enable', value: 'true' },
        { path: 'Device.IP.Interface.2.Enable', value: 'false' },
        { path: 'Device.IP.Interface.10.Enable', value: 'true' },
      ],
      f.now(),
    );
    await queue({ type: 'getParameterNames', args: { parameterPath: 'Device.IP.Interface.', nextLevel: true } });
    const { rpc, taskId } = await next();
    expect(rpc).toEqual({ name: 'GetParameterNames', parameterPath: 'Device.IP.Interface.', nextLevel: true });
    await answer(taskId, {
      name: 'GetParameterNamesResponse',
      parameterList: [
        { name: 'Device.IP.Interface.1.', writable: true },
        { name: 'Device.IP.Interface.10.', writable: false },
      ],
    });
    const paths = (await f.store.getParameters(ID, 'Device.IP.')).map((p) => [p.path, p.object, p.writable]);
    expect(paths).toEqual([
      ['Device.IP.Interface.1.', true, true],
      ['Device.IP.Interface.1.Enable', false, null],
      ['Device.IP.Interface.10.', true, false],
      ['Device.IP.Interface.10.Enable', false, null],
    ]);
    expect((await f.store.getTask(taskId))?.result).toEqual({ names: 2, pruned: 1 });
  });

  it('addObject remembers the new instance and returns its number; deleteObject removes the subtree', async () => {
    await f.store.upsertParameters(ID, [{ path: 'Device.NAT.PortMapping.3.Enable', value: 'true' }], f.now());
    await queue({ type: 'addObject', args: { objectName: 'Device.NAT.PortMapping.' } }, { type: 'deleteObject', args: { objectName: 'Device.NAT.PortMapping.3.', parameterKey: 'k2' } });
    const add = await next();
    expect(add.rpc).toEqual({ name: 'AddObject', objectName: 'Device.NAT.PortMapping.', parameterKey: '' });
    await answer(add.taskId, { name: 'AddObjectResponse', instanceNumber: 4, status: 0 });
    expect((await f.store.getTask(add.taskId))?.result).toEqual({ instanceNumber: 4, status: 0 });
    expect(await param('Device.NAT.PortMapping.4.')).toMatchObject({ object: true });

    const del = await next();
    expect(del.rpc).toEqual({ name: 'DeleteObject', objectName: 'Device.NAT.PortMapping.3.', parameterKey: 'k2' });
    await answer(del.taskId, { name: 'DeleteObjectResponse', status: 0 });
    expect((await f.store.getParameters(ID, 'Device.NAT.')).map((p) => p.path)).toEqual(['Device.NAT.PortMapping.4.']);
  });

  it('setParameterAttributes and getParameterAttributes keep notification and access list', async () => {
    await queue(
      {
        type: 'setParameterAttributes',
        args: { parameterList: [{ name: 'Device.DeviceInfo.SoftwareVersion', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }] },
      },
      { type: 'getParameterAttributes', args: { parameterNames: ['Device.ManagementServer.URL'] } },
    );
    const spa = await next();
    expect(spa.rpc).toEqual({
      name: 'SetParameterAttributes',
      parameterList: [{ name: 'Device.DeviceInfo.SoftwareVersion', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }],
    });
    await answer(spa.taskId, { name: 'SetParameterAttributesResponse' });
    expect(await param('Device.DeviceInfo.SoftwareVersion')).toMatchObject({ notification: 2, accessList: null });

    const gpa = await next();
    expect(gpa.rpc).toEqual({ name: 'GetParameterAttributes', parameterNames: ['Device.ManagementServer.URL'] });
    await answer(gpa.taskId, { name: 'GetParameterAttributesResponse', parameterList: [{ name: 'Device.ManagementServer.URL', notification: 1, accessList: ['Subscriber'] }] });
    expect(await param('Device.ManagementServer.URL')).toMatchObject({ notification: 1, accessList: ['Subscriber'] });
  });

  it('reboot, factoryReset, scheduleInform and getRPCMethods', async () => {
    const [reboot] = await queue(
      { type: 'reboot', args: {} },
      { type: 'factoryReset', args: {} },
      { type: 'scheduleInform', args: { delaySeconds: 30, commandKey: 'si-1' } },
      { type: 'getRPCMethods', args: {} },
    );
    const r = await next();
    // Without a CommandKey the task id (dashes removed, ≤ 32 characters) is the CommandKey.
    expect(r.rpc).toEqual({ name: 'Reboot', commandKey: reboot!.id.replace(/-/g, '') });
    await answer(r.taskId, { name: 'RebootResponse' });
    const fr = await next();
    expect(fr.rpc).toEqual({ name: 'FactoryReset' });
    await answer(fr.taskId, { name: 'FactoryResetResponse' });
    const si = await next();
    expect(si.rpc).toEqual({ name: 'ScheduleInform', delaySeconds: 30, commandKey: 'si-1' });
    await answer(si.taskId, { name: 'ScheduleInformResponse' });
    const gm = await next();
    expect(gm.rpc).toEqual({ name: 'GetRPCMethods' });
    await answer(gm.taskId, { name: 'GetRPCMethodsResponse', methodList: ['Inform', 'GetParameterValues'] });
    expect((await f.store.getTask(gm.taskId))?.result).toEqual({ methodList: ['Inform', 'GetParameterValues'] });
    const statuses = (await f.store.listTasks({ deviceId: ID })).items.map((t) => t.status);
    expect(statuses).toEqual(['done', 'done', 'done', 'done']);
    expect(await f.registry.nextAction({ sessionId: 's1', deviceId: ID })).toEqual({ action: 'none' });
  });

  it('download answered with Status 1 waits for TransferComplete with its CommandKey, across sessions', async () => {
    await queue(
      { type: 'download', args: { commandKey: 'fw-1', fileType: '1 Firmware Upgrade Image', url: 'http://files.example.net/fw.bin', fileSize: 1234 } },
      { type: 'download', args: { commandKey: 'fw-2', fileType: '1 Firmware Upgrade Image', url: 'http://files.example.net/bad.bin' } },
    );
    const d1 = await next();
    expect(d1.rpc).toEqual({
      name: 'Download',
      commandKey: 'fw-1',
      fileType: '1 Firmware Upgrade Image',
      url: 'http://files.example.net/fw.bin',
      username: '',
      password: '',
      fileSize: 1234,
      targetFileName: '',
      delaySeconds: 0,
      successURL: '',
      failureURL: '',
    });
    await answer(d1.taskId, { name: 'DownloadResponse', status: 1, startTime: '0001-01-01T00:00:00Z', completeTime: '0001-01-01T00:00:00Z' });
    const d2 = await next();
    await answer(d2.taskId, { name: 'DownloadResponse', status: 1, startTime: '0001-01-01T00:00:00Z', completeTime: '0001-01-01T00:00:00Z' });
    expect((await f.store.getTask(d1.taskId))?.status).toBe('running');

    // The CPE reboots into a new session; the waiting downloads are not released.
    await f.registry.recordInform({
      sessionId: 's2',
      deviceId: ID,
      cwmpVersion: '1.2',
      inform: { name: 'Inform', deviceId: { manufacturer: 'ACME', ...GW }, event: [{ eventCode: '7 TRANSFER COMPLETE', commandKey: '' }], maxEnvelopes: 1, currentTime: '', retryCount: 0, parameterList: [] },
      sourceIp: '192.0.2.1',
      auth: { scope: 'device', credentialId: 'c', username: 'u' },
      receivedAt: new Date(f.now()).toISOString(),
    });
    const ok = await f.registry.cpeRequest({
      sessionId: 's2',
      deviceId: ID,
      request: { name: 'TransferComplete', commandKey: 'fw-1', faultStruct: { faultCode: 0, faultString: '' }, startTime: '2026-01-01T00:00:01Z', completeTime: '2026-01-01T00:01:00Z' },
    });
    expect(ok).toEqual({ response: { name: 'TransferCompleteResponse' } });
    expect(await f.store.getTask(d1.taskId)).toMatchObject({ status: 'done', result: { faultCode: 0, completeTime: '2026-01-01T00:01:00Z' } });

    await f.registry.cpeRequest({
      sessionId: 's2',
      deviceId: ID,
      request: { name: 'TransferComplete', commandKey: 'fw-2', faultStruct: { faultCode: 9010, faultString: 'Download failure' }, startTime: '', completeTime: '' },
    });
    expect(await f.store.getTask(d2.taskId)).toMatchObject({ status: 'pending', fault: { code: '9010', message: 'Download failure' } });
    // An unknown CommandKey is still answered (or the CPE resends it forever).
    expect(
      await f.registry.cpeRequest({ sessionId: 's2', deviceId: ID, request: { name: 'TransferComplete', commandKey: 'nope', faultStruct: { faultCode: 0, faultString: '' }, startTime: '', completeTime: '' } }),
    ).toEqual({ response: { name: 'TransferCompleteResponse' } });
  });

  it('refresh: GetParameterNames of the subtree, then GetParameterValues in batches, progress in the task record', async () => {
    await f.store.upsertParameters(ID, [{ path: 'Device.Hosts.Host.7.IPAddress', value: '10.0.0.7' }], f.now());
    await queue({ type: 'refresh', args: { path: 'Device.Hosts.' } });
    const gpn = await next();
    expect(gpn.rpc).toEqual({ name: 'GetParameterNames', parameterPath: 'Device.Hosts.', nextLevel: false });
    await answer(gpn.taskId, {
      name: 'GetParameterNamesResponse',
      parameterList: [
        { name: 'Device.Hosts.', writable: false },
        { name: 'Device.Hosts.HostNumberOfEntries', writable: false },
        { name: 'Device.Hosts.Host.', writable: false },
        { name: 'Device.Hosts.Host.1.', writable: false },
        { name: 'Device.Hosts.Host.1.IPAddress', writable: false },
        { name: 'Device.Hosts.Host.1.HostName', writable: true },
      ],
    });
    // The vanished instance 7 is gone.
    expect(await param('Device.Hosts.Host.7.IPAddress')).toBeUndefined();
    const running = await f.store.getTask(gpn.taskId);
    expect(running).toMatchObject({ status: 'running', progress: { phase: 'values', remaining: ['Device.Hosts.HostNumberOfEntries', 'Device.Hosts.Host.1.IPAddress', 'Device.Hosts.Host.1.HostName'] } });

    const b1 = await next();
    expect(b1).toEqual({ taskId: gpn.taskId, rpc: { name: 'GetParameterValues', parameterNames: ['Device.Hosts.HostNumberOfEntries', 'Device.Hosts.Host.1.IPAddress'] } });
    await answer(b1.taskId, {
      name: 'GetParameterValuesResponse',
      parameterList: [
        { name: 'Device.Hosts.HostNumberOfEntries', value: '1', type: 'unsignedInt' },
        { name: 'Device.Hosts.Host.1.IPAddress', value: '10.0.0.1', type: 'string' },
      ],
    });
    const b2 = await next();
    expect(b2.rpc).toEqual({ name: 'GetParameterValues', parameterNames: ['Device.Hosts.Host.1.HostName'] });
    await answer(b2.taskId, { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.Hosts.Host.1.HostName', value: 'laptop', type: 'string' }] });
    expect(await f.store.getTask(gpn.taskId)).toMatchObject({ status: 'done', result: { parameters: 3 } });
    expect(await param('Device.Hosts.Host.1.HostName')).toMatchObject({ value: 'laptop', writable: true, object: false });
    expect(await param('Device.Hosts.Host.1.')).toMatchObject({ object: true });
    expect(await f.registry.nextAction({ sessionId: 's1', deviceId: ID })).toEqual({ action: 'none' });
  });
});
