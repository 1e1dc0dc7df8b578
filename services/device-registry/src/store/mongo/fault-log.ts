import type { Model } from 'mongoose';
import { resolvePage } from '../device-store.js';
import type { FaultFilter, FaultLog, Page, PageResult } from '../device-store.js';
import { newFault, retriedFault } from '../records.js';
import type { EpochMs, Fault, FaultInput, JsonValue } from '../types.js';
import { conflictOnDuplicate, mongoOp } from './errors.js';
import type { ConditionalWrites } from './ferretdb-workarounds.js';
import type { MongoTaskQueue } from './task-queue.js';
import { findRecord, withoutId, type FaultDoc } from './schemas.js';
import { updateIfUnchanged } from './update-if-unchanged.js';

function toFault(d: FaultDoc): Fault {
  return {
    id: d._id,
    deviceId: d.deviceId,
    taskId: d.taskId ?? null,
    code: d.code,
    message: d.message,
    detail: (d.detail ?? null) as JsonValue | null,
    retries: d.retries,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** FaultLog on the `faults` collection. */
export class MongoFaultLog implements FaultLog {
  constructor(
    private readonly faults: Model<FaultDoc>,
    private readonly tasks: MongoTaskQueue,
    private readonly conditionalWrites: ConditionalWrites,
  ) {}

  async recordFault(input: FaultInput, now: EpochMs): Promise<Fault> {
    const fault = newFault(input, now);
    return mongoOp(async () => {
      await conflictOnDuplicate('fault', fault.id, () => this.faults.create(withoutId(fault)));
      return fault;
    });
  }

  async getFault(id: string): Promise<Fault | null> {
    return mongoOp(() => findRecord(this.faults, id, toFault));
  }

  async listFaults(filter: FaultFilter, page?: Page): Promise<PageResult<Fault>> {
    const { limit, offset } = resolvePage(page);
    return mongoOp(async () => {
      const and: Record<string, unknown>[] = [];
      if (filter.deviceId !== undefined) and.push({ deviceId: filter.deviceId });
      if (filter.taskId !== undefined) and.push({ taskId: filter.taskId });
      const query = and.length ? { $and: and } : {};
      const [total, docs] = await Promise.all([
        this.faults.countDocuments(query),
        this.faults.find(query).sort({ createdAt: -1, _id: -1 }).skip(offset).limit(limit).lean<FaultDoc[]>(),
      ]);
      return { items: docs.map(toFault), total };
    });
  }

  async retryFault(id: string, now: EpochMs): Promise<Fault | null> {
    const written = await mongoOp(() =>
      updateIfUnchanged(this.faults, id, this.conditionalWrites, {
        toRecord: toFault,
        step: (f) => retriedFault(f, now),
        guard: (f) => ({ retries: f.retries, updatedAt: f.updatedAt }),
      }),
    );
    const fault = written?.after ?? null;
    if (fault !== null && fault.taskId !== null) await this.tasks.requeueTask(fault.taskId, now);
    return fault;
  }

  async deleteFault(id: string): Promise<boolean> {
    return mongoOp(async () => (await this.faults.deleteOne({ _id: id })).deletedCount === 1);
  }

  /** A device's faults, as its deletion takes them (see cascades.ts). */
  async deleteOfDevice(deviceId: string): Promise<void> {
    await this.faults.deleteMany({ deviceId });
  }
}
