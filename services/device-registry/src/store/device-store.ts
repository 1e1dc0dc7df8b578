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
  LastPoke,
  FaultInput,
  JsonValue,
  Parameter,
  ParameterUpdate,
  Task,
  TaskFault,
  TaskInput,
  TaskStatus,
} from './types.js';

/** Base of every store failure; `code` matches @acs/contracts error codes. */
export abstract class StoreError extends Error {
  abstract readonly code: 'CONFLICT' | 'NOT_FOUND' | 'INVALID_PAYLOAD' | 'UNAVAILABLE';
}

/** A unique key is taken (device-type name, credential username in a scope, an explicit id). */
export class StoreConflictError extends StoreError {
  override readonly name = 'StoreConflictError';
  readonly code = 'CONFLICT' as const;
  constructor(
    readonly entity: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`${entity} ${key} already exists`, options);
  }
}

/** An operation needs a record that does not exist (e.g. tasks for an unknown device). */
export class StoreNotFoundError extends StoreError {
  override readonly name = 'StoreNotFoundError';
  readonly code = 'NOT_FOUND' as const;
  constructor(
    readonly entity: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`${entity} ${key} not found`, options);
  }
}

/** Input the store cannot represent (e.g. a negative page size). */
export class StoreValidationError extends StoreError {
  override readonly name = 'StoreValidationError';
  readonly code = 'INVALID_PAYLOAD' as const;
}

/** The database is unreachable or failed; retrying later may succeed. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'UNAVAILABLE' as const;
}

export interface Page {
  /** 1..1000, default 100. */
  limit?: number;
  /** Default 0. */
  offset?: number;
}

export interface PageResult<T> {
  items: T[];
  /** Matches ignoring the page. */
  total: number;
}

export interface DeviceFilter {
  ids?: string[];
  oui?: string;
  serialNumber?: string;
  productClass?: string;
  deviceTypeId?: string;
  /** Devices carrying every one of these tags. */
  tags?: string[];
  /** lastInformAt >= this; devices that never informed do not match. */
  lastInformFrom?: EpochMs;
  /** lastInformAt < this; devices that never informed do not match. */
  lastInformBefore?: EpochMs;
}

export interface DeviceListOptions extends Page {
  /** Parameter paths or partial paths to include with each device (see getParameters). */
  projection?: string[];
}

/** A listed device; `parameters` is present only when a projection was asked for. */
export type DeviceView = Device & { parameters?: Parameter[] };

export interface TaskFilter {
  deviceId?: string;
  status?: TaskStatus[];
}

export interface FaultFilter {
  deviceId?: string;
  taskId?: string;
}

export interface CredentialFilter {
  deviceId?: string;
  deviceTypeId?: string;
  username?: string;
}

/**
 * Devices and their parameter trees. Partial paths: a name ending in `.` addresses the object and
 * everything below; a name without it addresses that parameter and, should it be an object
 * written without its dot, everything below `name.` — never a sibling that merely starts with
 * the same characters (`Device.IP.Interface.1.` never matches `Device.IP.Interface.10.`).
 */
export interface DeviceRecords {
  /** Creates or updates a device in place; `created` tells which. */
  upsertDevice(input: DeviceUpsert, now: EpochMs): Promise<{ device: Device; created: boolean }>;
  /** null: no such device. */
  getDevice(id: string): Promise<Device | null>;
  /** Ordered by id; `total` counts all matches. */
  listDevices(filter: DeviceFilter, options?: DeviceListOptions): Promise<PageResult<DeviceView>>;
  /** Deletes the device, its parameters, tasks, faults and device-scoped credentials. false: it did not exist. */
  deleteDevice(id: string): Promise<boolean>;
  /** null: no such device. */
  addTags(id: string, tags: string[], now: EpochMs): Promise<Device | null>;
  /** null: no such device. */
  removeTags(id: string, tags: string[], now: EpochMs): Promise<Device | null>;
  /** Remembers the device's most recent poke; nothing else changes (not even updatedAt). null: no such device. */
  recordPoke(id: string, poke: LastPoke): Promise<Device | null>;
}

/** Each device's parameters, addressed by path or partial path (see DeviceRecords). */
export interface ParameterTree {
  /**
   * Writes only the given parameters and only their given fields; everything else is untouched.
   * `readAt` is stamped on the updates that carry a value. A batch is written as one unit of
   * work (one transaction in SQLite, one bulkWrite in MongoDB).
   * Throws StoreNotFoundError when the device does not exist.
   */
  upsertParameters(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): Promise<void>;
  /** Ordered by path; all parameters when `prefix` is absent or empty. Unknown device: []. */
  getParameters(deviceId: string, prefix?: string): Promise<Parameter[]>;
  /** Removes the subtree at `prefix` (after DeleteObject). Returns how many were removed. */
  deleteParameterSubtree(deviceId: string, prefix: string): Promise<number>;
  /**
   * After a GetParameterNames of `parentPath` (an object path ending in `.`): removes every stored
   * child of `parentPath` (with its subtree) whose name is not in `presentPaths`. `presentPaths`
   * are the names the CPE returned (NextLevel true or false; only their first segment below
   * `parentPath` counts). Returns how many parameters were removed.
   */
  pruneMissingInstances(deviceId: string, parentPath: string, presentPaths: string[]): Promise<number>;
}

/** Usernames and password hashes CPEs log in with, scoped to one device or to a device type. */
export interface CredentialStore {
  /** Throws StoreConflictError when the username exists in the same scope, or the id is taken. */
  createCredential(input: CredentialInput, now: EpochMs): Promise<Credential>;
  /** null: no such credential. */
  getCredential(id: string): Promise<Credential | null>;
  /** Every credential with this username, in any scope and status (the caller decides which admits). */
  findCredentialsByUsername(username: string): Promise<Credential[]>;
  listCredentials(filter?: CredentialFilter): Promise<Credential[]>;
  /** null: no such credential. */
  updateCredential(id: string, patch: CredentialPatch, now: EpochMs): Promise<Credential | null>;
  /** false: it did not exist. */
  deleteCredential(id: string): Promise<boolean>;
}

/** Device types: which devices they admit, their profile and connection-request policy. */
export interface DeviceTypeStore {
  /** Throws StoreConflictError when the name or id is taken. */
  createDeviceType(input: DeviceTypeInput, now: EpochMs): Promise<DeviceType>;
  /** null: no such type. */
  getDeviceType(id: string): Promise<DeviceType | null>;
  /** Ordered by name. */
  listDeviceTypes(): Promise<DeviceType[]>;
  /** null: no such type. Throws StoreConflictError when renamed onto a taken name. */
  updateDeviceType(id: string, patch: DeviceTypePatch, now: EpochMs): Promise<DeviceType | null>;
  /** Also deletes the type's credentials. false: it did not exist. */
  deleteDeviceType(id: string): Promise<boolean>;
  /**
   * The type a device belongs to: among types whose every criterion matches, the one with most
   * criteria, then highest priority, then oldest; catch-all types only when nothing else
   * matches. null: none.
   */
  matchDeviceType(oui: string, productClass: string, serialNumber: string): Promise<DeviceType | null>;
}

/**
 * The device's task queue. Lifecycle: pending → running (claimTask) → done | fault | pending
 * (retry while attempts < maxAttempts) ; pending | running → cancelled (cancelTask, expireTasks).
 * Methods returning `Task | null` return null for an unknown id or a task not in the state the
 * transition needs.
 */
export interface TaskQueue {
  /** Appends to the device's queue in the given order. Throws StoreNotFoundError for an unknown device. */
  createTasks(deviceId: string, inputs: TaskInput[], now: EpochMs): Promise<Task[]>;
  getTask(id: string): Promise<Task | null>;
  /** Ordered by device, then queue position (not priority). */
  listTasks(filter: TaskFilter, page?: Page): Promise<PageResult<Task>>;
  /**
   * The device's pending and running tasks in queue order (expired ones included until expireTasks ran):
   * what a session looks at on every request, so adapters serve it without scanning other devices' tasks.
   */
  openTasks(deviceId: string): Promise<Task[]>;
  /** The device's pending, unexpired task with the highest priority, then first in queue order; null: nothing to run. */
  nextRunnableTask(deviceId: string, now: EpochMs): Promise<Task | null>;
  /** pending → running and attempts + 1 (and progress, when given), atomically; null when another session got it first. */
  claimTask(id: string, now: EpochMs, progress?: JsonValue | null): Promise<Task | null>;
  /** running → pending, e.g. when a session ended before the RPC was answered. */
  releaseTask(id: string, now: EpochMs): Promise<Task | null>;
  /** running → done with the RPC's result. */
  completeTask(id: string, result: JsonValue | null, now: EpochMs): Promise<Task | null>;
  /** running → fault when attempts reached maxAttempts, else back to pending; the fault is kept either way. */
  failTask(id: string, fault: TaskFault, now: EpochMs): Promise<Task | null>;
  /** pending | running → cancelled (reason `user`); a finished task is returned unchanged. null: unknown id. */
  cancelTask(id: string, now: EpochMs): Promise<Task | null>;
  /** Records where a running task stands; null when the task is not running. */
  setTaskProgress(id: string, progress: JsonValue | null, now: EpochMs): Promise<Task | null>;
  /** fault | cancelled → pending with attempts and progress reset (an operator retry). */
  requeueTask(id: string, now: EpochMs): Promise<Task | null>;
  /** Cancels (reason `expired`) every pending task whose expiresAt <= now; returns how many. */
  expireTasks(now: EpochMs): Promise<number>;
}

/** Faults recorded against devices (and their tasks), for operators to inspect, retry or clear. */
export interface FaultLog {
  recordFault(input: FaultInput, now: EpochMs): Promise<Fault>;
  getFault(id: string): Promise<Fault | null>;
  /** Newest first. */
  listFaults(filter: FaultFilter, page?: Page): Promise<PageResult<Fault>>;
  /** Counts a retry on the fault and requeues its task (when it has one). null: unknown fault. */
  retryFault(id: string, now: EpochMs): Promise<Fault | null>;
  /** Clears a fault. false: it did not exist. */
  deleteFault(id: string): Promise<boolean>;
}

/**
 * Persistence of the device registry: every role above. Adapters: `SqliteDeviceStore` (embedded), `MongoDeviceStore`.
 * Callers that need less take the role (or the methods of it) they use.
 * Infrastructure failures reject with StoreUnavailableError or the driver's error; expected
 * outcomes (missing records, lost races) are values (`null`, `false`).
 */
export interface DeviceStore extends DeviceRecords, ParameterTree, CredentialStore, DeviceTypeStore, TaskQueue, FaultLog {
  /**
   * What an Inform writes, as one call: `upsertDevice(input)` and then `upsertParameters(input.id, parameters)`
   * (none: the device only). The session's hot path; adapters batch the two writes (one transaction in SQLite,
   * both commands at once in MongoDB).
   */
  recordInform(input: DeviceUpsert, parameters: ParameterUpdate[], now: EpochMs): Promise<{ device: Device; created: boolean }>;
  close(): Promise<void>;
}

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;
export const DEFAULT_TASK_MAX_ATTEMPTS = 3;

/** Validated limit/offset of a page; throws StoreValidationError. */
export function resolvePage(page: Page | undefined): { limit: number; offset: number } {
  const limit = page?.limit ?? DEFAULT_PAGE_LIMIT;
  const offset = page?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) throw new StoreValidationError(`page limit must be 1..${MAX_PAGE_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) throw new StoreValidationError('page offset must be a non-negative integer');
  return { limit, offset };
}
