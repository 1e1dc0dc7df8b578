// Registry replicas sharing one store: a task's progress moves between them, a task goes to one.
import { describe, expect, it } from '@jest/globals';
import { createRegistry } from './registry.js';
import { answer, f, freshFixtureEachTest, ID, next, queue } from './session.fixture.js';

freshFixtureEachTest();

describe('replicas', () => {
  it('a refresh started on one replica is continued by another (progress lives in the task record)', async () => {
    const other = createRegistry({ ...f.registry.deps });
    await queue({ type: 'refresh', args: { path: 'Device.Time.' } });
    const gpn = await next();
    await other.recordResult({
      sessionId: 's1',
      deviceId: ID,
      taskId: gpn.taskId,
      method: 'GetParameterNames',
      outcome: { response: { name: 'GetParameterNamesResponse', parameterList: [{ name: 'Device.Time.Enable', writable: true }] } },
    });
    const gpv = await other.nextAction({ sessionId: 's1', deviceId: ID });
    expect(gpv).toEqual({ action: 'rpc', taskId: gpn.taskId, rpc: { name: 'GetParameterValues', parameterNames: ['Device.Time.Enable'] } });
    await answer(gpn.taskId, { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.Time.Enable', value: '1', type: 'boolean' }] });
    expect((await f.store.getTask(gpn.taskId))?.status).toBe('done');
  });

  it('two replicas asking at once never hand out the same task', async () => {
    const other = createRegistry({ ...f.registry.deps });
    await queue({ type: 'reboot', args: {} });
    const replies = await Promise.all([f.registry.nextAction({ sessionId: 's1', deviceId: ID }), other.nextAction({ sessionId: 's1', deviceId: ID })]);
    expect(replies.filter((r) => r.action === 'rpc')).toHaveLength(1);
  });
});
