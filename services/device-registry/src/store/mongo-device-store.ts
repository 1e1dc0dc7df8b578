import mongoose, { Schema } from 'mongoose';
import type { Connection, Model, QueryFilter, UpdateQuery } from 'mongoose';
import { StoreConflictError, StoreNotFoundError, StoreUnavailableError, resolvePage } from './device-store.js';
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

export interface MongoDeviceStoreOptions {
  /** mongodb://… connection string. */
  uri: string;
  /** Overrides the database named in the URI. */
  dbName?: string;
  /** How long to wait for a server before an operation fails (default 10 s). */
  serverSelectionTimeoutMS?: number;
  /**
   * How a task transition guards against a concurrent one. `filter` (MongoDB): the update's filter pins
   * the fields the transition read, atomically. `read-check-write` (FerretDB v1): the filter is `_id`
   * alone, the check is the read just before. FerretDB applies neither atomically, and scans the whole
   * collection for any filter other than `{_id}`; sessions of one device are serialised by the gateway's
   * device lock either way. The same choice writes parameter trees with updateOne (MongoDB) or
   * findAndModify (FerretDB, see writeById). Default: chosen from the server's buildInfo.
   */
  conditionalWrites?: ConditionalWrites;
}

export type ConditionalWrites = 'filter' | 'read-check-write';

// Documents as stored. Times are epoch ms numbers, like the domain records; absent values may
// come back missing or null, so every reader normalises with `?? null`.
interface DeviceDoc {
  _id: string;
  oui: string;
  productClass: string;
  serialNumber: string;
  manufacturer?: string | null;
  hardwareVersion?: string | null;
  softwareVersion?: string | null;
  deviceTypeId?: string | null;
  tags?: string[];
  lastInformAt?: number | null;
  lastBootAt?: number | null;
  lastBootstrapAt?: number | null;
  sourceIp?: string | null;
  connectionRequest?: Partial<Device['connectionRequest']> | null;
  /** `updatedAt`/`source` are missing on documents written before connection-request routing. */
  connectionRequestAuth?: (Omit<NonNullable<Device['connectionRequestAuth']>, 'updatedAt' | 'source'> & Partial<NonNullable<Device['connectionRequestAuth']>>) | null;
  lastPoke?: LastPoke | null;
  taskSeq?: number;
  /**
   * Ids of the device's pending and running tasks: a superset kept beside taskSeq so that a session reads
   * its queue by `_id` (see openTasks). Missing on documents written before it existed.
   */
  openTaskIds?: string[];
  createdAt: number;
  updatedAt: number;
}

/**
 * All parameters of one device in one document, keyed by escaped path (GenieACS keeps a device's tree in
 * one document too). Every read and write addresses the document by `_id`, the one access FerretDB v1
 * serves without scanning the collection, and an Inform or a GPV answer of 1,000 values is one `$set` of
 * just those fields rather than 1,000 statements. Limit: MongoDB's 16 MiB per document, some 80,000
 * parameters at ~200 bytes each, far above the largest vendor dump (4,413).
 */
interface ParameterTreeDoc {
  /** The device id. */
  _id: string;
  p?: Record<string, StoredParameter>;
}

/** One parameter's fields; absent ones read as their initial values (see toParameter). */
interface StoredParameter {
  v?: string | null;
  t?: string | null;
  w?: boolean | null;
  o?: boolean;
  n?: number | null;
  a?: string[] | null;
  r?: number | null;
  /** Present only so that an update naming no field still creates the entry. */
  e?: true;
}

interface CredentialDoc {
  _id: string;
  username: string;
  scopeKind: Credential['scope']['kind'];
  scopeId: string;
  realm: string;
  ha1: string;
  basicHash: string;
  status: Credential['status'];
  createdAt: number;
  updatedAt: number;
}

interface DeviceTypeDoc {
  _id: string;
  name: string;
  match?: DeviceType['match'] | null;
  catchAll: boolean;
  priority: number;
  onboarding: boolean;
  profile?: DeviceType['profile'] | null;
  connectionRequestCredentials: DeviceType['connectionRequestCredentials'];
  /** Missing on documents written before connection-request routing: defaults apply. */
  connectionRequestPolicy?: Partial<DeviceType['connectionRequestPolicy']> | null;
  connectionRequestAuth?: DeviceType['connectionRequestAuth'];
  createdAt: number;
  updatedAt: number;
}

// Mixed fields are `unknown` here: the recursive JsonValue and the task union are too deep for
// mongoose's schema type inference; the mappers below restore the domain types.
interface TaskDoc {
  _id: string;
  deviceId: string;
  seq: number;
  type: string;
  args?: unknown;
  status: string;
  attempts: number;
  maxAttempts: number;
  priority?: number;
  progress?: unknown;
  expiresAt?: number | null;
  result?: unknown;
  fault?: unknown;
  cancelReason?: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt?: number | null;
  finishedAt?: number | null;
}

interface FaultDoc {
  _id: string;
  deviceId: string;
  taskId?: string | null;
  code: string;
  message: string;
  detail?: unknown;
  retries: number;
  createdAt: number;
  updatedAt: number;
}

const OPTS = { versionKey: false, minimize: false, strict: true } as const;
const nullableString = { type: String, default: null };
const nullableNumber = { type: Number, default: null };
const mixed = { type: Schema.Types.Mixed, default: null };

const deviceSchema = new Schema<DeviceDoc>(
  {
    _id: { type: String, required: true },
    oui: { type: String, required: true },
    productClass: { type: String, required: true },
    serialNumber: { type: String, required: true },
    manufacturer: nullableString,
    hardwareVersion: nullableString,
    softwareVersion: nullableString,
    deviceTypeId: nullableString,
    tags: { type: [String], default: [] },
    lastInformAt: nullableNumber,
    lastBootAt: nullableNumber,
    lastBootstrapAt: nullableNumber,
    sourceIp: nullableString,
    connectionRequest: {
      connectionRequestURL: nullableString,
      udpConnectionRequestAddress: nullableString,
      natDetected: { type: Boolean, default: null },
      connReqJabberID: nullableString,
    },
    connectionRequestAuth: mixed,
    lastPoke: mixed,
    taskSeq: { type: Number, default: 0 },
    openTaskIds: { type: [String], default: undefined },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...OPTS, collection: 'devices' },
);
deviceSchema.index({ serialNumber: 1 });
deviceSchema.index({ productClass: 1 });
deviceSchema.index({ oui: 1 });
deviceSchema.index({ tags: 1 });
deviceSchema.index({ lastInformAt: 1 });
deviceSchema.index({ deviceTypeId: 1 });

const parameterTreeSchema = new Schema<ParameterTreeDoc>(
  {
    _id: { type: String, required: true },
    p: { type: Schema.Types.Mixed, default: {} },
  },
  { ...OPTS, collection: 'parameterTrees' },
);

const credentialSchema = new Schema<CredentialDoc>(
  {
    _id: { type: String, required: true },
    username: { type: String, required: true },
    scopeKind: { type: String, required: true },
    scopeId: { type: String, required: true },
    realm: { type: String, default: '' },
    ha1: { type: String, required: true },
    basicHash: { type: String, required: true },
    status: { type: String, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...OPTS, collection: 'credentials' },
);
credentialSchema.index({ scopeKind: 1, scopeId: 1, username: 1 }, { unique: true });
credentialSchema.index({ username: 1 });
credentialSchema.index({ scopeId: 1 });

const deviceTypeSchema = new Schema<DeviceTypeDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    match: { type: Schema.Types.Mixed, default: {} },
    catchAll: { type: Boolean, default: false },
    priority: { type: Number, default: 0 },
    onboarding: { type: Boolean, default: true },
    profile: { type: Schema.Types.Mixed, default: [] },
    connectionRequestCredentials: mixed,
    connectionRequestPolicy: mixed,
    connectionRequestAuth: mixed,
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...OPTS, collection: 'deviceTypes' },
);
deviceTypeSchema.index({ name: 1 }, { unique: true });

const taskSchema = new Schema<TaskDoc>(
  {
    _id: { type: String, required: true },
    deviceId: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, required: true },
    args: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    maxAttempts: { type: Number, required: true },
    priority: { type: Number, default: 0 },
    progress: mixed,
    expiresAt: nullableNumber,
    result: mixed,
    fault: mixed,
    cancelReason: nullableString,
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    startedAt: nullableNumber,
    finishedAt: nullableNumber,
  },
  { ...OPTS, collection: 'tasks' },
);
taskSchema.index({ deviceId: 1, seq: 1 }, { unique: true });
taskSchema.index({ deviceId: 1, status: 1, priority: -1, seq: 1 });
taskSchema.index({ status: 1, expiresAt: 1 });

const faultSchema = new Schema<FaultDoc>(
  {
    _id: { type: String, required: true },
    deviceId: { type: String, required: true },
    taskId: nullableString,
    code: { type: String, required: true },
    message: { type: String, default: '' },
    detail: mixed,
    retries: { type: Number, default: 0 },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...OPTS, collection: 'faults' },
);
faultSchema.index({ deviceId: 1, createdAt: -1 });
faultSchema.index({ taskId: 1 });
faultSchema.index({ createdAt: -1 });

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

/**
 * One document by `_id` through findAndModify: FerretDB v1 (SQLite) serves that by index, where its
 * `update` command with the same filter costs time in proportion to the collection. Same result on MongoDB.
 */
async function writeById<T>(
  model: Model<T>,
  id: string,
  update: Record<string, unknown>,
  upsert = false,
): Promise<{ matched: boolean; upserted: boolean; after: T | null }> {
  const collection = model.collection as unknown as mongoose.mongo.Collection<{ _id: string }>;
  const res = await collection.findOneAndUpdate({ _id: id }, update, { upsert, returnDocument: 'after', includeResultMetadata: true });
  return { matched: res.lastErrorObject?.updatedExisting === true, upserted: res.lastErrorObject?.upserted !== undefined, after: res.value as T | null };
}

async function serverConditionalWrites(conn: Connection): Promise<ConditionalWrites> {
  const info = await conn.getClient().db('admin').command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? 'read-check-write' : 'filter';
}

function withoutId<T extends { id: string }>(record: T): Omit<T, 'id'> & { _id: string } {
  const { id, ...rest } = record;
  return { _id: id, ...rest };
}

function isDuplicateKey(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if ('code' in err && err.code === 11000) return true;
  // FerretDB v1 reports a unique-index violation on update as a generic error carrying SQLite's text.
  return 'message' in err && typeof err.message === 'string' && err.message.includes('UNIQUE constraint failed');
}

const UNAVAILABLE = new Set(['MongooseServerSelectionError', 'MongoNetworkError', 'MongoServerSelectionError', 'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoNetworkTimeoutError']);

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

// Optimistic retries of a task transition before reporting the race as lost.
const TRANSITION_ATTEMPTS = 5;

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

  private constructor(
    private readonly conn: Connection,
    /** What open() chose (or was told): see MongoDeviceStoreOptions.conditionalWrites. */
    readonly conditionalWrites: ConditionalWrites,
  ) {
    this.devices = conn.model<DeviceDoc>('Device', deviceSchema);
    this.parameterTrees = conn.model<ParameterTreeDoc>('ParameterTree', parameterTreeSchema);
    this.credentials = conn.model<CredentialDoc>('Credential', credentialSchema);
    this.deviceTypes = conn.model<DeviceTypeDoc>('DeviceType', deviceTypeSchema);
    this.tasks = conn.model<TaskDoc>('Task', taskSchema);
    this.faults = conn.model<FaultDoc>('Fault', faultSchema);
  }

  /** Connects and creates collections and indexes (idempotent). */
  static async open(options: MongoDeviceStoreOptions): Promise<MongoDeviceStore> {
    const conn = mongoose.createConnection(options.uri, {
      dbName: options.dbName,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
      // Fail fast instead of queueing operations forever while disconnected.
      bufferCommands: false,
      autoIndex: false,
      autoCreate: false,
    });
    try {
      await conn.asPromise();
      const store = new MongoDeviceStore(conn, options.conditionalWrites ?? (await serverConditionalWrites(conn)));
      const models: { createCollection(): Promise<unknown>; createIndexes(): Promise<unknown> }[] = [
        store.devices,
        store.parameterTrees,
        store.credentials,
        store.deviceTypes,
        store.tasks,
        store.faults,
      ];
      await Promise.all(
        models.map(async (model) => {
          await model.createCollection().catch((err: unknown) => {
            // 48 NamespaceExists: another replica created it first.
            if (!(typeof err === 'object' && err !== null && 'code' in err && err.code === 48)) throw err;
          });
          await model.createIndexes();
        }),
      );
      return store;
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw UNAVAILABLE.has((err as Error).name) ? new StoreUnavailableError(`MongoDB unavailable: ${(err as Error).message}`, { cause: err }) : err;
    }
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  private async op<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Error && UNAVAILABLE.has(err.name)) throw new StoreUnavailableError(`MongoDB unavailable: ${err.message}`, { cause: err });
      throw err;
    }
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
  private treeCollection(): mongoose.mongo.Collection<ParameterTreeDoc> {
    return this.parameterTrees.collection as unknown as mongoose.mongo.Collection<ParameterTreeDoc>;
  }

  private async tree(deviceId: string): Promise<ParameterTreeDoc | null> {
    return this.treeCollection().findOne({ _id: deviceId });
  }

  /**
   * A write to one tree; true when the tree existed. findAndModify sends the whole tree back, which FerretDB
   * needs (see writeById) and MongoDB does not: there, a plain updateOne.
   */
  private async writeTree(deviceId: string, update: Record<string, unknown>, upsert = false): Promise<boolean> {
    if (this.conditionalWrites === 'read-check-write') return (await writeById(this.parameterTrees, deviceId, update, upsert)).matched;
    return (await this.treeCollection().updateOne({ _id: deviceId }, update, { upsert })).matchedCount === 1;
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

  /**
   * Read, compute, write-if-unchanged: the filter pins the fields `guard` names, so a concurrent write makes ours
   * re-read instead of overwriting it. null: no such record (or the race was lost every time); `after` null: `step`
   * left the record as it was.
   */
  private async updateIfUnchanged<D extends { _id: string }, R extends { id: string }>(
    model: Model<D>,
    id: string,
    toRecord: (doc: D) => R,
    step: (record: R) => R | null,
    guard: (record: R) => Record<string, unknown>,
  ): Promise<{ before: R; after: R | null } | null> {
    for (let i = 0; i < TRANSITION_ATTEMPTS; i++) {
      const doc = await model.findById(id).lean<D>();
      if (!doc) return null;
      const before = toRecord(doc);
      const after = step(before);
      if (!after) return { before, after: null };
      const { _id, ...fields } = withoutId(after);
      const matched =
        this.conditionalWrites === 'filter'
          ? (await model.updateOne({ _id, ...guard(before) } as QueryFilter<D>, { $set: fields } as UpdateQuery<D>)).matchedCount === 1
          : (await writeById(model, _id, { $set: fields })).matched;
      if (matched) return { before, after };
    }
    return null;
  }

  private async transition(id: string, step: (t: Task) => Task | null, unchanged: 'null' | 'current' = 'null'): Promise<Task | null> {
    return this.op(async () => {
      const written = await this.updateIfUnchanged(this.tasks, id, toTask, step, (t) => ({ status: t.status, attempts: t.attempts, updatedAt: t.updatedAt }));
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
    const written = await this.op(() => this.updateIfUnchanged(this.faults, id, toFault, (f) => retriedFault(f, now), (f) => ({ retries: f.retries, updatedAt: f.updatedAt })));
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
