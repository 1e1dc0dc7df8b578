// The task queue's policy: faults and retries, timeouts, late and stray answers, expiry, order.
import { describe, expect, it } from '@jest/globals';
import type { CpeResponse } from '@acs/cwmp';
import { makeFault } from '@acs/cwmp';
import { answer, f, freshFixtureEachTest, GW, ID, next, param, queue } from './session.fixture.js';

freshFixtureEachTest();

describe('queue policy', () => {
  it('a CPE fault fails the task, records a Fault, publishes task.fault, and retries in a later session up to maxAttempts', async () => {
    const [task] = await queue({ type: 'getParameterValues', args: { parameterNames: ['Device.Nope.'] }, maxAttempts: 2 });
    const first = await next('s1');
    await f.registry.recordResult({ sessionId: 's1', deviceId: ID, taskId: first.taskId, method: 'GetParameterValues', outcome: { fault: makeFault(9005) } });
    expect(await f.store.getTask(task!.id)).toMatchObject({ status: 'pending', attempts: 1, fault: { code: '9005', message: 'Invalid parameter name' } });
    const event = await f.waitForEvent(f.subjects.evt.taskFault(ID));
    expect(event.payload).toMatchObject({ taskId: task!.id, name: 'GetParameterValues', fault: { code: 9005 }, retries: 0 });
    // Not again in the same session.
    expect(await f.registry.nextAction({ sessionId: 's1', deviceId: ID })).toEqual({ action: 'none' });

    const second = await next('s2');
    expect(second.taskId).toBe(task!.id);
    await f.registry.recordResult({ sessionId: 's2', deviceId: ID, taskId: second.taskId, method: 'GetParameterValues', outcome: { fault: makeFault(9005) } });
    expect(await f.store.getTask(task!.id)).toMatchObject({ status: 'fault', attempts: 2 });
    expect(await f.registry.nextAction({ sessionId: 's3', deviceId: ID })).toEqual({ action: 'none' });
    expect((await f.store.listFaults({ taskId: task!.id })).total).toBe(2);
  });

  it('a response to another RPC than the one sent is a fault of the task', async () => {
    await queue({ type: 'reboot', args: {} });
    const r = await next();
    await answer(r.taskId, { name: 'FactoryResetResponse' });
    expect((await f.store.getTask(r.taskId))?.fault).toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
  });

  it('timeout releases the task for a later session; a duplicate result changes nothing', async () => {
    await queue({ type: 'reboot', args: {} });
    const r = await next('s1');
    await f.registry.recordResult({ sessionId: 's1', deviceId: ID, taskId: r.taskId, method: 'Reboot', outcome: { timeout: true } });
    expect((await f.store.getTask(r.taskId))?.status).toBe('pending');
    const again = await next('s2');
    expect(again.taskId).toBe(r.taskId);
    await answer(again.taskId, { name: 'RebootResponse' }, 's2');
    await answer(again.taskId, { name: 'RebootResponse' }, 's2');
    expect(await f.store.getTask(r.taskId)).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('a late answer from a session whose task was released and claimed again is ignored', async () => {
    await queue({ type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.UpTime'] } });
    const first = await next('s1');
    await f.registry.recordResult({ sessionId: 's1', deviceId: ID, taskId: first.taskId, method: 'GetParameterValues', outcome: { timeout: true } });
    await next('s2');
    await answer(first.taskId, { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '1', type: 'unsignedInt' }] }, 's1');
    expect(await f.store.getTask(first.taskId)).toMatchObject({ status: 'running', progress: { sessionId: 's2' } });
    expect(await param('Device.DeviceInfo.UpTime')).toBeUndefined();
  });

  it('a download that never sent TransferComplete fails (and is retried) once the next session asks for work past the window', async () => {
    await queue({ type: 'download', args: { commandKey: 'fw-late', fileType: '1 Firmware Upgrade Image', url: 'http://files.example.net/fw.bin' } });
    const d = await next('s1');
    await answer(d.taskId, { name: 'DownloadResponse', status: 1, startTime: '0001-01-01T00:00:00Z', completeTime: '0001-01-01T00:00:00Z' }, 's1');
    // Inside the window a later session leaves it waiting...
    f.advance(1_000);
    expect(await f.registry.nextAction({ sessionId: 's2', deviceId: ID })).toEqual({ action: 'none' });
    expect((await f.store.getTask(d.taskId))?.status).toBe('running');
    // ...past it the attempt fails with its fault recorded, and the task (attempts left) runs again at once.
    f.advance(f.registry.deps.policy.transferTimeoutMs);
    expect(await f.registry.nextAction({ sessionId: 's3', deviceId: ID })).toMatchObject({ action: 'rpc', taskId: d.taskId, rpc: { name: 'Download', commandKey: 'fw-late' } });
    expect((await f.store.listFaults({ taskId: d.taskId })).items[0]).toMatchObject({ code: 'TRANSFER_TIMEOUT' });
  });

  it('a running task of a session that died is released when the next session asks for work, and handed out in it', async () => {
    await queue({ type: 'reboot', args: {} });
    const r = await next('dead');
    await f.registry.recordInform({
      sessionId: 'fresh',
      deviceId: ID,
      cwmpVersion: '1.2',
      inform: { name: 'Inform', deviceId: { manufacturer: 'ACME', ...GW }, event: [{ eventCode: '2 PERIODIC', commandKey: '' }], maxEnvelopes: 1, currentTime: '', retryCount: 0, parameterList: [] },
      sourceIp: '192.0.2.1',
      auth: { scope: 'device', credentialId: 'c', username: 'u' },
      receivedAt: new Date(f.now()).toISOString(),
    });
    expect((await next('fresh')).taskId).toBe(r.taskId);
  });

  it('expired tasks are not run', async () => {
    await queue({ type: 'reboot', args: {}, expiresAt: f.now() + 1000 }, { type: 'factoryReset', args: {} });
    f.advance(1000);
    expect((await next()).rpc).toEqual({ name: 'FactoryReset' });
    expect(await f.registry.nextAction({ sessionId: 's1', deviceId: ID })).toEqual({ action: 'none' });
    const [expired] = (await f.store.listTasks({ deviceId: ID })).items;
    expect(expired).toMatchObject({ type: 'reboot', status: 'cancelled', cancelReason: 'expired' });
  });

  it('runs tasks in queue order within a priority', async () => {
    await queue({ type: 'getRPCMethods', args: {} }, { type: 'reboot', args: {} }, { type: 'factoryReset', args: {} });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const n = await next();
      order.push(n.rpc.name);
      await answer(n.taskId, (n.rpc.name === 'GetRPCMethods' ? { name: 'GetRPCMethodsResponse', methodList: [] } : { name: `${n.rpc.name}Response` }) as CpeResponse);
    }
    expect(order).toEqual(['GetRPCMethods', 'Reboot', 'FactoryReset']);
  });

  it('a result for a task of another device is NOT_FOUND', async () => {
    await expect(
      f.registry.recordResult({ sessionId: 's1', deviceId: 'other', taskId: 'nope', method: 'Reboot', outcome: { response: { name: 'RebootResponse' } } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
