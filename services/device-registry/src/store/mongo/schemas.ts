// The collections as stored: document shapes, schemas and indexes. Mongoose models never leave the mongo/ folder.
import { Schema } from 'mongoose';
import type { Connection, Model } from 'mongoose';
import type { Credential, Device, DeviceType, LastPoke } from '../types.js';

// Documents as stored. Times are epoch ms numbers, like the domain records; absent values may
// come back missing or null, so every reader normalises with `?? null`.
export interface DeviceDoc {
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
export interface ParameterTreeDoc {
  /** The device id. */
  _id: string;
  p?: Record<string, StoredParameter>;
}

/** One parameter's fields; absent ones read as their initial values (see toParameter). */
export interface StoredParameter {
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

export interface CredentialDoc {
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

export interface DeviceTypeDoc {
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
// mongoose's schema type inference; each concern's mapper (toTask, ...) restores the domain types.
export interface TaskDoc {
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

export interface FaultDoc {
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
      udpConnectionRequestAddressSeenAt: nullableNumber,
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

/** The six collections over one connection. */
export interface MongoModels {
  devices: Model<DeviceDoc>;
  parameterTrees: Model<ParameterTreeDoc>;
  credentials: Model<CredentialDoc>;
  deviceTypes: Model<DeviceTypeDoc>;
  tasks: Model<TaskDoc>;
  faults: Model<FaultDoc>;
}

export function createModels(conn: Connection): MongoModels {
  return {
    devices: conn.model<DeviceDoc>('Device', deviceSchema),
    parameterTrees: conn.model<ParameterTreeDoc>('ParameterTree', parameterTreeSchema),
    credentials: conn.model<CredentialDoc>('Credential', credentialSchema),
    deviceTypes: conn.model<DeviceTypeDoc>('DeviceType', deviceTypeSchema),
    tasks: conn.model<TaskDoc>('Task', taskSchema),
    faults: conn.model<FaultDoc>('Fault', faultSchema),
  };
}

/** A record as a document: `id` becomes `_id`. */
export function withoutId<T extends { id: string }>(record: T): Omit<T, 'id'> & { _id: string } {
  const { id, ...rest } = record;
  return { _id: id, ...rest };
}

/** The record of the document with this `_id`; null: there is none. */
export async function findRecord<D, R>(model: Model<D>, id: string, toRecord: (doc: D) => R): Promise<R | null> {
  const doc = await model.findById(id).lean<D>();
  return doc ? toRecord(doc) : null;
}
