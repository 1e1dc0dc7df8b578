import type { Model } from 'mongoose';
import { StoreNotFoundError, resolvePage } from '../device-store.js';
import type { Page, PageResult, TaskFilter, TaskQueue } from '../device-store.js';
import { newId, newTask } from '../records.js';
import { TaskQueueTransitions, type UnchangedResult } from '../task-queue-transitions.js';
import { expire, isOpen } from '../task-transitions.js';
import type { EpochMs, JsonValue, Task, TaskInput } from '../types.js';
import { conflictOnDuplicate, mongoOp } from './errors.js';
import { writeById, type ConditionalWrites } from './ferretdb-workarounds.js';
import { findRecord, withoutId, type DeviceDoc, type TaskDoc } from './schemas.js';
import { updateIfUnchanged } from './update-if-unchanged.js';

function toTask(d: TaskDoc): Task {
  return {
    id: d._id,
    deviceId: d.deviceId,
    seq: d.seq,
    type: d.type,
    args: d.args ?? {},
    status: d.status,
    attempts: d.attempts,
    maxAttempts: d.maxAttempts,
    priority: d.priority ?? 0,
    progress: (d.progress ?? null) as JsonValue | null,
    expiresAt: d.expiresAt ?? null,
    result: d.result ?? null,
    fault: d.fault ?? null,
    cancelReason: d.cancelReason ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    startedAt: d.startedAt ?? null,
    finishedAt: d.finishedAt ?? null,
  } as Task;
}

/**
 * TaskQueue on the `tasks` collection. The device document hands out queue positions (`taskSeq`) and indexes the
 * ids of its open tasks (`openTaskIds`, a superset: ids whose task finished or was never inserted are pruned on
 * read), so that what a session reads on every request (openTasks) is addressed by `_id` alone.
 */
export class MongoTaskQueue extends TaskQueueTransitions implements TaskQueue {
  constructor(
    private readonly tasks: Model<TaskDoc>,
    private readonly devices: Model<DeviceDoc>,
    private readonly conditionalWrites: ConditionalWrites,
  ) {
    super();
  }

  async createTasks(deviceId: string, inputs: TaskInput[], now: EpochMs): Promise<Task[]> {
    return mongoOp(async () => {
      if (inputs.length === 0) return [];
      const ids = inputs.map((input) => input.id ?? newId());
      // Reserve a block of queue positions and index the ids in one atomic update of the device document;
      // ids whose insert then fails are dropped by openTasks (which may also drop them while the insert is
      // still on its way: hence the second, idempotent $addToSet below).
      const before = await this.devices
        .findOneAndUpdate({ _id: deviceId }, { $inc: { taskSeq: inputs.length }, $push: { openTaskIds: { $each: ids } } }, { returnDocument: 'before' })
        .lean<{ taskSeq?: number; openTaskIds?: string[] }>();
      if (!before) throw new StoreNotFoundError('device', deviceId);
      const first = (before.taskSeq ?? 0) + 1;
      const tasks = inputs.map((input, i) => newTask(deviceId, first + i, { ...input, id: ids[i] }, now));
      await conflictOnDuplicate('task', tasks.map((t) => t.id).join(','), () => this.tasks.insertMany(tasks.map(withoutId), { ordered: true }));
      await writeById(this.devices, deviceId, { $addToSet: { openTaskIds: { $each: ids } } });
      // A device written before the index existed: its earlier open tasks join the ids just pushed.
      // (taskSeq 0: it never had a task, nothing to add. FerretDB v1 drops the empty array of $setOnInsert.)
      if (before.openTaskIds === undefined && (before.taskSeq ?? 0) > 0) await this.backfillOpenTasks(deviceId);
      return tasks;
    });
  }

  async openTasks(deviceId: string): Promise<Task[]> {
    return mongoOp(async () => {
      const device = await this.devices.findById(deviceId, { openTaskIds: 1, taskSeq: 1 }).lean<{ openTaskIds?: string[]; taskSeq?: number }>();
      if (!device) return [];
      if (device.openTaskIds === undefined) return (device.taskSeq ?? 0) > 0 ? this.backfillOpenTasks(deviceId) : [];
      const open: Task[] = [];
      const stale: string[] = [];
      // One `_id` read per entry: a device has a handful of open tasks, and `_id` is what every server serves fast.
      for (const id of new Set(device.openTaskIds)) {
        const doc = await this.tasks.findById(id).lean<TaskDoc>();
        if (doc && isOpen(doc.status)) open.push(toTask(doc));
        else stale.push(id);
      }
      if (stale.length > 0) {
        await writeById(this.devices, deviceId, { $pullAll: { openTaskIds: stale } });
        // A requeue may have reopened one between our read and the pull: put those back.
        for (const id of stale) {
          const doc = await this.tasks.findById(id).lean<TaskDoc>();
          if (doc && isOpen(doc.status)) await writeById(this.devices, deviceId, { $addToSet: { openTaskIds: id } });
        }
      }
      return open.sort((a, b) => a.seq - b.seq);
    });
  }

  private async backfillOpenTasks(deviceId: string): Promise<Task[]> {
    const docs = await this.tasks.find({ deviceId, status: { $in: ['pending', 'running'] } }).sort({ seq: 1 }).lean<TaskDoc[]>();
    await writeById(this.devices, deviceId, { $addToSet: { openTaskIds: { $each: docs.map((d) => d._id) } } });
    return docs.map(toTask);
  }

  async getTask(id: string): Promise<Task | null> {
    return mongoOp(() => findRecord(this.tasks, id, toTask));
  }

  async listTasks(filter: TaskFilter, page?: Page): Promise<PageResult<Task>> {
    const { limit, offset } = resolvePage(page);
    return mongoOp(async () => {
      const and: Record<string, unknown>[] = [];
      if (filter.deviceId !== undefined) and.push({ deviceId: filter.deviceId });
      if (filter.status) and.push({ status: { $in: filter.status } });
      const query = and.length ? { $and: and } : {};
      const [total, docs] = await Promise.all([
        this.tasks.countDocuments(query),
        this.tasks.find(query).sort({ deviceId: 1, seq: 1 }).skip(offset).limit(limit).lean<TaskDoc[]>(),
      ]);
      return { items: docs.map(toTask), total };
    });
  }

  async nextRunnableTask(deviceId: string, now: EpochMs): Promise<Task | null> {
    return mongoOp(async () => {
      const doc = await this.tasks
        .findOne({ deviceId, status: 'pending', $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] })
        .sort({ priority: -1, seq: 1 })
        .lean<TaskDoc>();
      return doc ? toTask(doc) : null;
    });
  }

  async expireTasks(now: EpochMs): Promise<number> {
    const due = await mongoOp(() => this.tasks.find({ status: 'pending', expiresAt: { $ne: null, $lte: now } }, { _id: 1 }).lean<{ _id: string }[]>());
    let expired = 0;
    // One transition each, so every expired task also leaves its device's openTaskIds.
    for (const { _id } of due) {
      const done = await this.transition(_id, (t) => expire(t, now));
      if (done) expired++;
    }
    return expired;
  }

  /** A device's tasks, as its deletion takes them (see cascades.ts). */
  async deleteOfDevice(deviceId: string): Promise<void> {
    await this.tasks.deleteMany({ deviceId });
  }

  /** Guarded by the fields a transition reads; a task that opens or closes joins or leaves openTaskIds. */
  protected async transition(id: string, step: (t: Task) => Task | null, unchanged: UnchangedResult = 'null'): Promise<Task | null> {
    return mongoOp(async () => {
      const written = await updateIfUnchanged(this.tasks, id, this.conditionalWrites, {
        toRecord: toTask,
        step,
        guard: (t) => ({ status: t.status, attempts: t.attempts, updatedAt: t.updatedAt }),
      });
      if (!written) return null;
      const { before, after } = written;
      if (!after) return unchanged === 'current' ? before : null;
      if (isOpen(before.status) !== isOpen(after.status)) {
        const change = isOpen(after.status) ? { $addToSet: { openTaskIds: after.id } } : { $pull: { openTaskIds: after.id } };
        await writeById(this.devices, after.deviceId, change);
      }
      return after;
    });
  }
}
