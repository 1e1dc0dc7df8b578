import { beforeEach, describe, expect, it } from '@jest/globals';
import { StoreConflictError, StoreNotFoundError } from '../device-store.js';
import type { DeviceStore } from '../device-store.js';
import { T0, identity } from './records.fixture.js';

/** The TaskQueue part of the DeviceStore contract (`store` is the running test's). */
export function taskQueueContract(store: DeviceStore): void {
  describe('tasks', () => {
    const dev = '00259E-GW500-T1';
    beforeEach(async () => {
      await store.upsertDevice(identity('T1'), T0);
      await store.upsertDevice(identity('T2'), T0);
    });

    it('queues per device in order and keeps typed arguments', async () => {
      const first = await store.createTasks(
        dev,
        [
          { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.'] } },
          { type: 'setParameterValues', args: { parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'home', type: 'xsd:string' }], parameterKey: 'k1' } },
        ],
        T0,
      );
      await store.createTasks('00259E-GW500-T2', [{ type: 'reboot', args: {} }], T0);
      const second = await store.createTasks(
        dev,
        [
          {
            type: 'download',
            args: { commandKey: 'fw', fileType: '1 Firmware Upgrade Image', url: 'https://files.example.net/fw.bin', fileSize: 123, delaySeconds: 0 },
            expiresAt: T0 + 60_000,
            maxAttempts: 5,
          },
        ],
        T0,
      );
      const seqs = [...first, ...second].map((t) => t.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(3);
      expect(await store.getTask(second[0]?.id ?? '')).toEqual(second[0]);
      expect(second[0]).toMatchObject({ status: 'pending', attempts: 0, maxAttempts: 5, expiresAt: T0 + 60_000, fault: null, result: null });
      const listed = await store.listTasks({ deviceId: dev });
      expect(listed.total).toBe(3);
      expect(listed.items.map((t) => t.type)).toEqual(['getParameterValues', 'setParameterValues', 'download']);
      const task = listed.items[2];
      if (task?.type !== 'download') throw new Error('expected the download task');
      expect(task.args.url).toBe('https://files.example.net/fw.bin');
      expect((await store.listTasks({}, { limit: 2 })).items).toHaveLength(2);
      expect((await store.listTasks({ status: ['pending'] })).total).toBe(4);

      await expect(store.createTasks('missing', [{ type: 'reboot', args: {} }], T0)).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.createTasks(dev, [{ id: first[0]?.id, type: 'reboot', args: {} }], T0)).rejects.toBeInstanceOf(StoreConflictError);
    });

    it('lists the open tasks of one device in queue order as they start, finish and come back', async () => {
      const ids = async () => (await store.openTasks(dev)).map((t) => `${t.type}:${t.status}`);
      expect(await store.openTasks(dev)).toEqual([]);
      expect(await store.openTasks('missing')).toEqual([]);
      const [a, b, c, d] = await store.createTasks(
        dev,
        [
          { type: 'reboot', args: {} },
          { type: 'getRPCMethods', args: {} },
          { type: 'factoryReset', args: {} },
          { type: 'scheduleInform', args: { delaySeconds: 1, commandKey: 'x' }, expiresAt: T0 + 10 },
        ],
        T0,
      );
      await store.createTasks('00259E-GW500-T2', [{ type: 'reboot', args: {} }], T0);
      if (!a || !b || !c || !d) throw new Error('expected four tasks');
      // A duplicate id is refused and leaves the queue as it was.
      await expect(store.createTasks(dev, [{ id: a.id, type: 'reboot', args: {} }], T0)).rejects.toBeInstanceOf(StoreConflictError);
      expect(await ids()).toEqual(['reboot:pending', 'getRPCMethods:pending', 'factoryReset:pending', 'scheduleInform:pending']);

      await store.claimTask(a.id, T0 + 1);
      await store.claimTask(b.id, T0 + 1);
      await store.completeTask(b.id, null, T0 + 2);
      await store.cancelTask(c.id, T0 + 2);
      expect(await store.expireTasks(T0 + 20)).toBe(1);
      expect(await ids()).toEqual(['reboot:running']);

      expect(await store.requeueTask(c.id, T0 + 3)).toMatchObject({ status: 'pending' });
      await store.releaseTask(a.id, T0 + 3);
      expect(await ids()).toEqual(['reboot:pending', 'factoryReset:pending']);
      expect((await store.openTasks('00259E-GW500-T2')).map((t) => t.type)).toEqual(['reboot']);
    });

    it('runs the oldest pending task: claim once, complete, then the next', async () => {
      const [a, b] = await store.createTasks(
        dev,
        [
          { type: 'getRPCMethods', args: {} },
          { type: 'scheduleInform', args: { delaySeconds: 5, commandKey: 'si' } },
        ],
        T0,
      );
      expect((await store.nextRunnableTask(dev, T0))?.id).toBe(a?.id);
      const claimed = await store.claimTask(a?.id ?? '', T0 + 1);
      expect(claimed).toMatchObject({ status: 'running', attempts: 1, startedAt: T0 + 1 });
      expect(await store.claimTask(a?.id ?? '', T0 + 2)).toBeNull();
      expect((await store.nextRunnableTask(dev, T0 + 2))?.id).toBe(b?.id);
      const done = await store.completeTask(a?.id ?? '', { methodList: ['Inform', 'GetRPCMethods'] }, T0 + 3);
      expect(done).toMatchObject({ status: 'done', result: { methodList: ['Inform', 'GetRPCMethods'] }, finishedAt: T0 + 3 });
      expect(await store.completeTask(a?.id ?? '', null, T0 + 4)).toBeNull();
      expect(await store.claimTask('missing', T0)).toBeNull();

      // A session that ended early gives the task back.
      expect(await store.claimTask(b?.id ?? '', T0 + 5, { sessionId: 's1', phase: 'rpc' })).toMatchObject({ status: 'running', progress: { sessionId: 's1', phase: 'rpc' } });
      expect((await store.getTask(b?.id ?? ''))?.progress).toEqual({ sessionId: 's1', phase: 'rpc' });
      expect(await store.nextRunnableTask(dev, T0 + 5)).toBeNull();
      expect(await store.releaseTask(b?.id ?? '', T0 + 6)).toMatchObject({ status: 'pending', attempts: 1 });
      expect((await store.nextRunnableTask(dev, T0 + 6))?.id).toBe(b?.id);
      expect(await store.nextRunnableTask('00259E-GW500-T2', T0)).toBeNull();
    });

    it('runs higher priority first, queue order within a priority', async () => {
      const [a, b] = await store.createTasks(
        dev,
        [
          { type: 'reboot', args: { commandKey: 'a' } },
          { type: 'reboot', args: { commandKey: 'b' } },
        ],
        T0,
      );
      const [urgent] = await store.createTasks(dev, [{ type: 'setParameterValues', args: { parameterList: [] }, priority: 10 }], T0 + 1);
      expect(urgent?.priority).toBe(10);
      expect(a?.priority).toBe(0);
      expect((await store.nextRunnableTask(dev, T0 + 2))?.id).toBe(urgent?.id);
      await store.claimTask(urgent?.id ?? '', T0 + 2);
      expect((await store.nextRunnableTask(dev, T0 + 2))?.id).toBe(a?.id);
      await store.cancelTask(a?.id ?? '', T0 + 3);
      expect((await store.nextRunnableTask(dev, T0 + 3))?.id).toBe(b?.id);
      // Listing stays in queue order.
      expect((await store.listTasks({ deviceId: dev })).items.map((t) => t.id)).toEqual([a?.id, b?.id, urgent?.id]);
    });

    it('records progress only on a running task and keeps it across a release', async () => {
      const [t] = await store.createTasks(dev, [{ type: 'refresh', args: { path: 'Device.WiFi.' }, maxAttempts: 1 }], T0);
      const id = t?.id ?? '';
      expect(t?.progress).toBeNull();
      expect(await store.setTaskProgress(id, { phase: 'names' }, T0 + 1)).toBeNull();
      await store.claimTask(id, T0 + 1);
      expect(await store.setTaskProgress(id, { phase: 'values', remaining: ['Device.WiFi.SSID.1.'] }, T0 + 2)).toMatchObject({
        status: 'running',
        progress: { phase: 'values', remaining: ['Device.WiFi.SSID.1.'] },
        updatedAt: T0 + 2,
      });
      await store.releaseTask(id, T0 + 3);
      expect((await store.getTask(id))?.progress).toEqual({ phase: 'values', remaining: ['Device.WiFi.SSID.1.'] });
      await store.claimTask(id, T0 + 4);
      await store.failTask(id, { code: '9002', message: 'Internal error' }, T0 + 5);
      expect(await store.requeueTask(id, T0 + 6)).toMatchObject({ status: 'pending', progress: null });
      expect(await store.setTaskProgress('missing', null, T0)).toBeNull();
    });

    it('retries a faulted task up to its cap, then keeps the fault', async () => {
      const [t] = await store.createTasks(dev, [{ type: 'addObject', args: { objectName: 'Device.IP.Interface.' }, maxAttempts: 2 }], T0);
      const id = t?.id ?? '';
      await store.claimTask(id, T0 + 1);
      const retry = await store.failTask(id, { code: '9002', message: 'Internal error' }, T0 + 2);
      expect(retry).toMatchObject({ status: 'pending', attempts: 1, fault: { code: '9002', message: 'Internal error' }, finishedAt: null });
      await store.claimTask(id, T0 + 3);
      const final = await store.failTask(id, { code: '9005', message: 'Invalid parameter name' }, T0 + 4);
      expect(final).toMatchObject({ status: 'fault', attempts: 2, fault: { code: '9005' }, finishedAt: T0 + 4 });
      expect(await store.nextRunnableTask(dev, T0 + 5)).toBeNull();
      expect(await store.failTask(id, { code: '9002', message: 'x' }, T0 + 5)).toBeNull();
      const again = await store.requeueTask(id, T0 + 6);
      expect(again).toMatchObject({ status: 'pending', attempts: 0, fault: null });
      expect(await store.requeueTask(id, T0 + 7)).toBeNull();
    });

    it('skips and expires tasks past their expiry', async () => {
      const [stale, fresh] = await store.createTasks(
        dev,
        [
          { type: 'reboot', args: { commandKey: 'old' }, expiresAt: T0 + 1_000 },
          { type: 'reboot', args: { commandKey: 'new' }, expiresAt: T0 + 100_000 },
        ],
        T0,
      );
      expect((await store.nextRunnableTask(dev, T0 + 999))?.id).toBe(stale?.id);
      expect((await store.nextRunnableTask(dev, T0 + 1_000))?.id).toBe(fresh?.id);
      expect(await store.claimTask(stale?.id ?? '', T0 + 1_000)).toBeNull();
      expect(await store.expireTasks(T0 + 1_000)).toBe(1);
      expect(await store.getTask(stale?.id ?? '')).toMatchObject({ status: 'cancelled', cancelReason: 'expired', finishedAt: T0 + 1_000 });
      expect(await store.getTask(fresh?.id ?? '')).toMatchObject({ status: 'pending' });
      expect(await store.expireTasks(T0 + 1_000)).toBe(0);
    });

    it('cancels pending and running tasks, leaves finished ones alone', async () => {
      const [a, b, c] = await store.createTasks(
        dev,
        [
          { type: 'factoryReset', args: {} },
          { type: 'getParameterNames', args: { parameterPath: 'Device.', nextLevel: true } },
          { type: 'refresh', args: { path: 'Device.WiFi.' } },
        ],
        T0,
      );
      expect(await store.cancelTask(a?.id ?? '', T0 + 1)).toMatchObject({ status: 'cancelled', cancelReason: 'user' });
      await store.claimTask(b?.id ?? '', T0 + 2);
      expect(await store.cancelTask(b?.id ?? '', T0 + 3)).toMatchObject({ status: 'cancelled' });
      await store.claimTask(c?.id ?? '', T0 + 4);
      await store.completeTask(c?.id ?? '', null, T0 + 5);
      expect(await store.cancelTask(c?.id ?? '', T0 + 6)).toMatchObject({ status: 'done', updatedAt: T0 + 5 });
      expect(await store.cancelTask('missing', T0)).toBeNull();
      expect(await store.nextRunnableTask(dev, T0 + 7)).toBeNull();
      expect((await store.listTasks({ status: ['cancelled'] })).total).toBe(2);
    });
  });
}
