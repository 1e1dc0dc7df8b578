import type { Connection, Model, mongo } from 'mongoose';
import { StoreConflictError, StoreNotFoundError, resolvePage } from './device-store.js';
import type { CredentialFilter, DeviceFilter, DeviceListOptions, DeviceStore, DeviceView, FaultFilter, Page, PageResult, TaskFilter } from './device-store.js';
import { DEVICE_DEPENDENTS, DEVICE_TYPE_DEPENDENTS, type DependentDeletes } from './cascades.js';
import { pickDeviceType } from './device-type-match.js';
import { byPath, inSubtree, missingInstancePaths } from './parameter-paths.js';
import { connectionRequestPolicy, credentialChanges, credentialKey, deviceChanges, newCredential, newDeviceType, newFault, newId, newTask, normaliseTags, patchDeviceType, retriedFault, scopeId } from './records.js';
import { cancel, claim, complete, expire, fail, isOpen, progress, release, requeue } from './task-transitions.js';
import type {
  Credential,
  CredentialInput,
  CredentialPatch,
  Device,
  DeviceType,
  DeviceTypeInput,
  DeviceTypePatch,
  DeviceUpsert,
  EpochMs,
  Fault,
  FaultInput,
  JsonValue,
  LastPoke,
  Parameter,
  ParameterUpdate,
  Task,
  TaskFault,
  TaskInput,
} from './types.js';
import { openMongoConnection, type MongoConnection, type MongoDeviceStoreOptions } from './mongo/connection.js';
import { isDuplicateKey, mongoOp } from './mongo/errors.js';
import { updateById, writeById, type ConditionalWrites } from './mongo/ferretdb-workarounds.js';
import { withoutId } from './mongo/schemas.js';
import type { CredentialDoc, DeviceDoc, DeviceTypeDoc, FaultDoc, ParameterTreeDoc, StoredParameter, TaskDoc } from './mongo/schemas.js';
import { updateIfUnchanged } from './mongo/update-if-unchanged.js';

export type { ConditionalWrites } from './mongo/ferretdb-workarounds.js';
export type { MongoDeviceStoreOptions } from './mongo/connection.js';

function toDevice(d: DeviceDoc): Device {
  const cr = d.connectionRequest ?? {};
  return {
    id: d._id,
    manufacturer: d.manufacturer ?? null,
    oui: d.oui,
    productClass: d.productClass,
    serialNumber: d.serialNumber,
    hardwareVersion: d.hardwareVersion ?? null,
    softwareVersion: d.softwareVersion ?? null,
    deviceTypeId: d.deviceTypeId ?? null,
    tags: [...(d.tags ?? [])].sort(),
    lastInformAt: d.lastInformAt ?? null,
    lastBootAt: d.lastBootAt ?? null,
    lastBootstrapAt: d.lastBootstrapAt ?? null,
    sourceIp: d.sourceIp ?? null,
    connectionRequest: {
      connectionRequestURL: cr.connectionRequestURL ?? null,
      udpConnectionRequestAddress: cr.udpConnectionRequestAddress ?? null,
      natDetected: cr.natDetected ?? null,
      connReqJabberID: cr.connReqJabberID ?? null,
    },
    connectionRequestAuth: d.connectionRequestAuth
      ? {
          username: d.connectionRequestAuth.username,
          passwordSealed: d.connectionRequestAuth.passwordSealed,
          // Undated credentials are as old as the device's last update: the best we know.
          updatedAt: d.connectionRequestAuth.updatedAt ?? d.updatedAt,
          source: d.connectionRequestAuth.source ?? null,
        }
      : null,
    lastPoke: d.lastPoke ? { requestId: d.lastPoke.requestId, at: d.lastPoke.at } : null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function toParameter(path: string, d: StoredParameter): Parameter {
  return {
    path,
    value: d.v ?? null,
    type: d.t ?? null,
    writable: d.w ?? null,
    object: d.o ?? path.endsWith('.'),
    notification: (d.n ?? null) as Parameter['notification'],
    accessList: d.a ?? null,
    readAt: d.r ?? null,
  };
}

/** The device's parameters in path order, those in the subtree of any of `prefixes` (undefined: all). */
function treeParameters(doc: ParameterTreeDoc | null, prefixes?: readonly string[]): Parameter[] {
  const out: Parameter[] = [];
  for (const [key, stored] of Object.entries(doc?.p ?? {})) {
    const path = unescapeKey(key);
    if (prefixes === undefined || prefixes.some((prefix) => inSubtree(path, prefix))) out.push(toParameter(path, stored));
  }
  return out.sort(byPath);
}

// Field names may hold neither `.` (a path separator to MongoDB) nor a leading `$`; `%` escapes itself.
function escapeKey(path: string): string {
  return path.replace(/[%.$\0]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function unescapeKey(key: string): string {
  return key.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function toCredential(d: CredentialDoc): Credential {
  return {
    id: d._id,
    username: d.username,
    scope: d.scopeKind === 'device' ? { kind: 'device', deviceId: d.scopeId } : { kind: 'deviceType', deviceTypeId: d.scopeId },
    realm: d.realm,
    ha1: d.ha1,
    basicHash: d.basicHash,
    status: d.status,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function toDeviceType(d: DeviceTypeDoc): DeviceType {
  return {
    id: d._id,
    name: d.name,
    match: d.match ?? {},
    catchAll: d.catchAll,
    priority: d.priority,
    onboarding: d.onboarding,
    profile: d.profile ?? [],
    connectionRequestCredentials: d.connectionRequestCredentials,
    connectionRequestPolicy: connectionRequestPolicy(d.connectionRequestPolicy ?? undefined),
    connectionRequestAuth: d.connectionRequestAuth ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

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

/** `$set` paths for the fields an update carries; absent ones keep what is stored (or read as initial). */
function parameterSet(key: string, u: ParameterUpdate, readAt: EpochMs): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  const field = (name: keyof StoredParameter, value: unknown) => {
    if (value !== undefined) set[`p.${key}.${name}`] = value;
  };
  field('v', u.value);
  field('t', u.type);
  field('w', u.writable);
  field('o', u.object);
  field('n', u.notification);
  field('a', u.accessList);
  field('r', u.value === undefined ? undefined : readAt);
  if (Object.keys(set).length === 0) set[`p.${key}.e`] = true;
  return set;
}


/**
 * `DeviceStore` on MongoDB through mongoose. Kept to operations FerretDB v1 also serves (no
 * transactions, no aggregation, no projection on findAndModify): find, findOneAndUpdate, insertMany,
 * updateOne/updateMany, deleteMany, countDocuments. What a session touches on every request is
 * addressed by `_id` alone (a device, its parameter tree, its open tasks), which FerretDB serves by
 * index. Races are settled by unique indexes and conditional updates.
 * Caveat: MongoDB applies a conditional update atomically, so one of two racing claims wins;
 * FerretDB v1 (seen with 1.24, SQLite backend) does not, which is one reason sessions of one
 * device are serialised by the gateway's per-device lock before they reach the store.
 */
export class MongoDeviceStore implements DeviceStore {
  private readonly devices: Model<DeviceDoc>;
  private readonly parameterTrees: Model<ParameterTreeDoc>;
  private readonly credentials: Model<CredentialDoc>;
  private readonly deviceTypes: Model<DeviceTypeDoc>;
  private readonly tasks: Model<TaskDoc>;
  private readonly faults: Model<FaultDoc>;
  private readonly conn: Connection;
  /** What open() chose (or was told): see MongoDeviceStoreOptions.conditionalWrites. */
  readonly conditionalWrites: ConditionalWrites;

  private constructor({ conn, models, conditionalWrites }: MongoConnection) {
    this.conn = conn;
    this.conditionalWrites = conditionalWrites;
    ({ devices: this.devices, parameterTrees: this.parameterTrees, credentials: this.credentials, deviceTypes: this.deviceTypes, tasks: this.tasks, faults: this.faults } = models);
  }

  /** Connects and creates collections and indexes (idempotent). */
  static async open(options: MongoDeviceStoreOptions): Promise<MongoDeviceStore> {
    return new MongoDeviceStore(await openMongoConnection(options));
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  private async op<T>(fn: () => Promise<T>): Promise<T> {
    return mongoOp(fn);
  }

  // ---- devices ----

  async upsertDevice(input: DeviceUpsert, now: EpochMs): Promise<{ device: Device; created: boolean }> {
    return this.op(async () => {
      const { connectionRequest, ...fields } = deviceChanges(input, now);
      const set: Record<string, unknown> = { ...fields };
      for (const [key, value] of Object.entries(connectionRequest)) set[`connectionRequest.${key}`] = value;
      const update = { $set: set, $setOnInsert: { createdAt: now, tags: [], taskSeq: 0, openTaskIds: [] } };
      let written: Awaited<ReturnType<typeof writeById<DeviceDoc>>>;
      try {
        written = await writeById(this.devices, input.id, update, true);
      } catch (err) {
        // Two first Informs raced on the insert; the loser's write is now a plain update.
        if (!isDuplicateKey(err)) throw err;
        written = { ...(await writeById(this.devices, input.id, update)), upserted: false };
      }
      if (!written.after) throw new StoreNotFoundError('device', input.id);
      return { device: toDevice(written.after), created: written.upserted };
    });
  }

  async getDevice(id: string): Promise<Device | null> {
    return this.op(async () => {
      const doc = await this.devices.findById(id).lean<DeviceDoc>();
      return doc ? toDevice(doc) : null;
    });
  }

  async listDevices(filter: DeviceFilter, options: DeviceListOptions = {}): Promise<PageResult<DeviceView>> {
    const { limit, offset } = resolvePage(options);
    return this.op(async () => {
      const and: Record<string, unknown>[] = [];
      if (filter.ids) and.push({ _id: { $in: filter.ids } });
      if (filter.oui !== undefined) and.push({ oui: filter.oui });
      if (filter.serialNumber !== undefined) and.push({ serialNumber: filter.serialNumber });
      if (filter.productClass !== undefined) and.push({ productClass: filter.productClass });
      if (filter.deviceTypeId !== undefined) and.push({ deviceTypeId: filter.deviceTypeId });
      for (const tag of filter.tags ?? []) and.push({ tags: tag });
      if (filter.lastInformFrom !== undefined) and.push({ lastInformAt: { $gte: filter.lastInformFrom } });
      if (filter.lastInformBefore !== undefined) and.push({ lastInformAt: { $lt: filter.lastInformBefore } });
      const query = and.length ? { $and: and } : {};
      const [total, docs] = await Promise.all([
        this.devices.countDocuments(query),
        this.devices.find(query).sort({ _id: 1 }).skip(offset).limit(limit).lean<DeviceDoc[]>(),
      ]);
      const items: DeviceView[] = docs.map(toDevice);
      if (options.projection && items.length > 0) {
        const prefixes = options.projection.some((p) => p === '') ? undefined : options.projection;
        // One `_id` read per device of the page: the page is small, and `_id` is what every server serves fast.
        for (const item of items) item.parameters = treeParameters(await this.tree(item.id), prefixes);
      }
      return { items, total };
    });
  }

  async deleteDevice(id: string): Promise<boolean> {
    const dependents: DependentDeletes<typeof DEVICE_DEPENDENTS, Promise<unknown>> = {
      parameters: (deviceId) => this.parameterTrees.deleteOne({ _id: deviceId }),
      tasks: (deviceId) => this.tasks.deleteMany({ deviceId }),
      faults: (deviceId) => this.faults.deleteMany({ deviceId }),
      deviceCredentials: (deviceId) => this.credentials.deleteMany({ scopeKind: 'device', scopeId: deviceId }),
    };
    return this.op(async () => {
      for (const dependent of DEVICE_DEPENDENTS) await dependents[dependent](id);
      return (await this.devices.deleteOne({ _id: id })).deletedCount === 1;
    });
  }

  async addTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.op(async () => {
      const doc = await this.devices
        .findOneAndUpdate({ _id: id }, { $addToSet: { tags: { $each: normaliseTags(tags) } }, $set: { updatedAt: now } }, { returnDocument: 'after' })
        .lean<DeviceDoc>();
      return doc ? toDevice(doc) : null;
    });
  }

  async removeTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.op(async () => {
      const doc = await this.devices
        .findOneAndUpdate({ _id: id }, { $pullAll: { tags: normaliseTags(tags) }, $set: { updatedAt: now } }, { returnDocument: 'after' })
        .lean<DeviceDoc>();
      return doc ? toDevice(doc) : null;
    });
  }

  async recordPoke(id: string, poke: LastPoke): Promise<Device | null> {
    return this.op(async () => {
      const doc = await this.devices
        .findOneAndUpdate({ _id: id }, { $set: { lastPoke: { requestId: poke.requestId, at: poke.at } } }, { returnDocument: 'after' })
        .lean<DeviceDoc>();
      return doc ? toDevice(doc) : null;
    });
  }

  // ---- parameters ----

  async upsertParameters(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): Promise<void> {
    return this.op(async () => {
      const set: Record<string, unknown> = {};
      // Later updates of one path win field by field, as applying them one after another would.
      for (const u of updates) Object.assign(set, parameterSet(escapeKey(u.path), u, readAt));
      // A device with a tree exists (deleteDevice drops the tree first); only a first write looks further.
      if (updates.length > 0 && (await this.writeTree(deviceId, { $set: set }))) return;
      if (!(await this.devices.exists({ _id: deviceId }))) throw new StoreNotFoundError('device', deviceId);
      if (updates.length > 0) await this.writeTree(deviceId, { $set: set }, true);
    });
  }

  async getParameters(deviceId: string, prefix?: string): Promise<Parameter[]> {
    return this.op(async () => treeParameters(await this.tree(deviceId), prefix ? [prefix] : undefined));
  }

  async deleteParameterSubtree(deviceId: string, prefix: string): Promise<number> {
    return this.op(async () => this.unsetPaths(deviceId, treeParameters(await this.tree(deviceId), [prefix]).map((p) => p.path)));
  }

  async pruneMissingInstances(deviceId: string, parentPath: string, presentPaths: string[]): Promise<number> {
    return this.op(async () => {
      // Validates parentPath before touching the database.
      missingInstancePaths(parentPath, presentPaths, []);
      const stored = treeParameters(await this.tree(deviceId), [parentPath]).map((p) => p.path);
      return this.unsetPaths(deviceId, missingInstancePaths(parentPath, presentPaths, stored));
    });
  }

  // The driver's collection: updates address escaped field names under `p`, which mongoose need not cast.
  private treeCollection(): mongo.Collection<ParameterTreeDoc> {
    return this.parameterTrees.collection as unknown as mongo.Collection<ParameterTreeDoc>;
  }

  private async tree(deviceId: string): Promise<ParameterTreeDoc | null> {
    return this.treeCollection().findOne({ _id: deviceId });
  }

  private async writeTree(deviceId: string, update: Record<string, unknown>, upsert = false): Promise<boolean> {
    return updateById(this.parameterTrees, deviceId, update, this.conditionalWrites, upsert);
  }

  private async unsetPaths(deviceId: string, paths: string[]): Promise<number> {
    if (paths.length === 0) return 0;
    const unset: Record<string, ''> = {};
    for (const path of paths) unset[`p.${escapeKey(path)}`] = '';
    await this.writeTree(deviceId, { $unset: unset });
    return paths.length;
  }

  // ---- credentials ----

  async createCredential(input: CredentialInput, now: EpochMs): Promise<Credential> {
    const cred = newCredential(input, now);
    return this.op(async () => {
      try {
        await this.credentials.create({
          _id: cred.id,
          username: cred.username,
          scopeKind: cred.scope.kind,
          scopeId: scopeId(cred.scope),
          realm: cred.realm,
          ha1: cred.ha1,
          basicHash: cred.basicHash,
          status: cred.status,
          createdAt: cred.createdAt,
          updatedAt: cred.updatedAt,
        });
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreConflictError('credential', credentialKey(cred), { cause: err });
        throw err;
      }
      return cred;
    });
  }

  async getCredential(id: string): Promise<Credential | null> {
    return this.op(async () => {
      const doc = await this.credentials.findById(id).lean<CredentialDoc>();
      return doc ? toCredential(doc) : null;
    });
  }

  async findCredentialsByUsername(username: string): Promise<Credential[]> {
    return this.op(async () => (await this.credentials.find({ username }).sort({ _id: 1 }).lean<CredentialDoc[]>()).map(toCredential));
  }

  async listCredentials(filter: CredentialFilter = {}): Promise<Credential[]> {
    return this.op(async () => {
      const and: Record<string, unknown>[] = [];
      if (filter.deviceId !== undefined) and.push({ scopeKind: 'device', scopeId: filter.deviceId });
      if (filter.deviceTypeId !== undefined) and.push({ scopeKind: 'deviceType', scopeId: filter.deviceTypeId });
      if (filter.username !== undefined) and.push({ username: filter.username });
      const docs = await this.credentials
        .find(and.length ? { $and: and } : {})
        .sort({ username: 1, _id: 1 })
        .lean<CredentialDoc[]>();
      return docs.map(toCredential);
    });
  }

  async updateCredential(id: string, patch: CredentialPatch, now: EpochMs): Promise<Credential | null> {
    return this.op(async () => {
      const doc = await this.credentials.findOneAndUpdate({ _id: id }, { $set: credentialChanges(patch, now) }, { returnDocument: 'after' }).lean<CredentialDoc>();
      return doc ? toCredential(doc) : null;
    });
  }

  async deleteCredential(id: string): Promise<boolean> {
    return this.op(async () => (await this.credentials.deleteOne({ _id: id })).deletedCount === 1);
  }

  // ---- device types ----

  async createDeviceType(input: DeviceTypeInput, now: EpochMs): Promise<DeviceType> {
    const type = newDeviceType(input, now);
    return this.op(async () => {
      try {
        await this.deviceTypes.create(withoutId(type));
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreConflictError('device type', type.name, { cause: err });
        throw err;
      }
      return type;
    });
  }

  async getDeviceType(id: string): Promise<DeviceType | null> {
    return this.op(async () => {
      const doc = await this.deviceTypes.findById(id).lean<DeviceTypeDoc>();
      return doc ? toDeviceType(doc) : null;
    });
  }

  async listDeviceTypes(): Promise<DeviceType[]> {
    return this.op(async () => (await this.deviceTypes.find({}).sort({ name: 1 }).lean<DeviceTypeDoc[]>()).map(toDeviceType));
  }

  async updateDeviceType(id: string, patch: DeviceTypePatch, now: EpochMs): Promise<DeviceType | null> {
    return this.op(async () => {
      const doc = await this.deviceTypes.findById(id).lean<DeviceTypeDoc>();
      if (!doc) return null;
      const next = patchDeviceType(toDeviceType(doc), patch, now);
      const { _id, ...fields } = withoutId(next);
      try {
        const res = await this.deviceTypes.updateOne({ _id }, { $set: fields });
        if (res.matchedCount === 0) return null;
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreConflictError('device type', next.name, { cause: err });
        throw err;
      }
      return next;
    });
  }

  async deleteDeviceType(id: string): Promise<boolean> {
    const dependents: DependentDeletes<typeof DEVICE_TYPE_DEPENDENTS, Promise<unknown>> = {
      typeCredentials: (typeId) => this.credentials.deleteMany({ scopeKind: 'deviceType', scopeId: typeId }),
    };
    return this.op(async () => {
      for (const dependent of DEVICE_TYPE_DEPENDENTS) await dependents[dependent](id);
      return (await this.deviceTypes.deleteOne({ _id: id })).deletedCount === 1;
    });
  }

  async matchDeviceType(oui: string, productClass: string, serialNumber: string): Promise<DeviceType | null> {
    return pickDeviceType(await this.listDeviceTypes(), oui, productClass, serialNumber);
  }

  // ---- tasks ----

  async createTasks(deviceId: string, inputs: TaskInput[], now: EpochMs): Promise<Task[]> {
    return this.op(async () => {
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
      try {
        await this.tasks.insertMany(tasks.map(withoutId), { ordered: true });
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreConflictError('task', tasks.map((t) => t.id).join(','), { cause: err });
        throw err;
      }
      await writeById(this.devices, deviceId, { $addToSet: { openTaskIds: { $each: ids } } });
      // A device written before the index existed: its earlier open tasks join the ids just pushed.
      // (taskSeq 0: it never had a task, nothing to add. FerretDB v1 drops the empty array of $setOnInsert.)
      if (before.openTaskIds === undefined && (before.taskSeq ?? 0) > 0) await this.backfillOpenTasks(deviceId);
      return tasks;
    });
  }

  async openTasks(deviceId: string): Promise<Task[]> {
    return this.op(async () => {
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
    return this.op(async () => {
      const doc = await this.tasks.findById(id).lean<TaskDoc>();
      return doc ? toTask(doc) : null;
    });
  }

  async listTasks(filter: TaskFilter, page?: Page): Promise<PageResult<Task>> {
    const { limit, offset } = resolvePage(page);
    return this.op(async () => {
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
    return this.op(async () => {
      const doc = await this.tasks
        .findOne({ deviceId, status: 'pending', $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] })
        .sort({ priority: -1, seq: 1 })
        .lean<TaskDoc>();
      return doc ? toTask(doc) : null;
    });
  }

  private async transition(id: string, step: (t: Task) => Task | null, unchanged: 'null' | 'current' = 'null'): Promise<Task | null> {
    return this.op(async () => {
      const written = await updateIfUnchanged(this.tasks, id, this.conditionalWrites, { toRecord: toTask, step, guard: (t) => ({ status: t.status, attempts: t.attempts, updatedAt: t.updatedAt }) });
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

  async claimTask(id: string, now: EpochMs, progress?: JsonValue | null): Promise<Task | null> {
    return this.transition(id, (t) => claim(t, now, progress));
  }

  async releaseTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => release(t, now));
  }

  async completeTask(id: string, result: JsonValue | null, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => complete(t, result, now));
  }

  async failTask(id: string, fault: TaskFault, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => fail(t, fault, now));
  }

  async cancelTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => cancel(t, 'user', now), 'current');
  }

  async setTaskProgress(id: string, value: JsonValue | null, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => progress(t, value, now));
  }

  async requeueTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => requeue(t, now));
  }

  async expireTasks(now: EpochMs): Promise<number> {
    const due = await this.op(() => this.tasks.find({ status: 'pending', expiresAt: { $ne: null, $lte: now } }, { _id: 1 }).lean<{ _id: string }[]>());
    let expired = 0;
    // One transition each, so every expired task also leaves its device's openTaskIds.
    for (const { _id } of due) {
      const done = await this.transition(_id, (t) => expire(t, now));
      if (done) expired++;
    }
    return expired;
  }

  // ---- faults ----

  async recordFault(input: FaultInput, now: EpochMs): Promise<Fault> {
    const fault = newFault(input, now);
    return this.op(async () => {
      try {
        await this.faults.create(withoutId(fault));
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreConflictError('fault', fault.id, { cause: err });
        throw err;
      }
      return fault;
    });
  }

  async getFault(id: string): Promise<Fault | null> {
    return this.op(async () => {
      const doc = await this.faults.findById(id).lean<FaultDoc>();
      return doc ? toFault(doc) : null;
    });
  }

  async listFaults(filter: FaultFilter, page?: Page): Promise<PageResult<Fault>> {
    const { limit, offset } = resolvePage(page);
    return this.op(async () => {
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
    const written = await this.op(() => updateIfUnchanged(this.faults, id, this.conditionalWrites, { toRecord: toFault, step: (f) => retriedFault(f, now), guard: (f) => ({ retries: f.retries, updatedAt: f.updatedAt }) }));
    const fault = written?.after ?? null;
    if (fault !== null && fault.taskId !== null) await this.transition(fault.taskId, (t) => requeue(t, now));
    return fault;
  }

  async deleteFault(id: string): Promise<boolean> {
    return this.op(async () => (await this.faults.deleteOne({ _id: id })).deletedCount === 1);
  }
}

/** Connects to MongoDB (or FerretDB) and prepares collections and indexes. */
export function createMongoDeviceStore(options: MongoDeviceStoreOptions): Promise<MongoDeviceStore> {
  return MongoDeviceStore.open(options);
}
