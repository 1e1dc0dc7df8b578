import { describe, expect, it } from '@jest/globals';
import { StoreConflictError } from '../device-store.js';
import type { DeviceStore } from '../device-store.js';
import { T0, identity } from './records.fixture.js';

/** The FaultLog part of the DeviceStore contract (`store` is the running test's). */
export function faultLogContract(store: DeviceStore): void {
  describe('faults', () => {
    it('records, lists newest first, retries (requeueing the task) and clears', async () => {
      await store.upsertDevice(identity('F1'), T0);
      const dev = '00259E-GW500-F1';
      const [task] = await store.createTasks(dev, [{ type: 'deleteObject', args: { objectName: 'Device.IP.Interface.3.' }, maxAttempts: 1 }], T0);
      await store.claimTask(task?.id ?? '', T0);
      await store.failTask(task?.id ?? '', { code: '9005', message: 'Invalid parameter name' }, T0 + 1);
      const f1 = await store.recordFault({ deviceId: dev, taskId: task?.id, code: '9005', message: 'Invalid parameter name', detail: { objectName: 'Device.IP.Interface.3.' } }, T0 + 1);
      const f2 = await store.recordFault({ deviceId: dev, code: 'session_timeout', message: 'CPE stopped answering' }, T0 + 2);
      await store.recordFault({ deviceId: 'other', code: '9002', message: 'Internal error' }, T0 + 3);

      expect(await store.getFault(f1.id)).toEqual(f1);
      expect(f2).toMatchObject({ taskId: null, detail: null, retries: 0 });
      const listed = await store.listFaults({ deviceId: dev });
      expect(listed.total).toBe(2);
      expect(listed.items.map((f) => f.id)).toEqual([f2.id, f1.id]);
      expect((await store.listFaults({}, { limit: 1 })).items.map((f) => f.deviceId)).toEqual(['other']);
      expect((await store.listFaults({ taskId: task?.id ?? '' })).items.map((f) => f.id)).toEqual([f1.id]);

      expect(await store.getTask(task?.id ?? '')).toMatchObject({ status: 'fault' });
      const retried = await store.retryFault(f1.id, T0 + 10);
      expect(retried).toMatchObject({ retries: 1, updatedAt: T0 + 10 });
      expect(await store.getTask(task?.id ?? '')).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await store.retryFault('missing', T0)).toBeNull();

      expect(await store.deleteFault(f1.id)).toBe(true);
      expect(await store.deleteFault(f1.id)).toBe(false);
      expect(await store.getFault(f1.id)).toBeNull();
      expect((await store.listFaults({ deviceId: dev })).total).toBe(1);
      await expect(store.recordFault({ id: f2.id, deviceId: dev, code: 'x', message: 'y' }, T0)).rejects.toBeInstanceOf(StoreConflictError);
    });
  });
}
