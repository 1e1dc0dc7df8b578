import type {
  CredentialFilter,
  CredentialStore,
  DeviceFilter,
  DeviceListOptions,
  DeviceRecords,
  DeviceStore,
  DeviceTypeStore,
  DeviceView,
  FaultFilter,
  FaultLog,
  Page,
  PageResult,
  ParameterTree,
  TaskFilter,
  TaskQueue,
} from './device-store.js';
import { StoreNotFoundError } from './device-store.js';
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

/** One implementation per role; an adapter builds them over one connection. */
export interface DeviceStoreParts {
  devices: DeviceRecords;
  parameters: ParameterTree;
  credentials: CredentialStore;
  deviceTypes: DeviceTypeStore;
  tasks: TaskQueue;
  faults: FaultLog;
}

/**
 * A DeviceStore made of one module per role. Plain methods rather than copied properties, so the store is one
 * object whose methods a Proxy (countedStore, the tests' fakes) sees and forwards like any class's.
 */
export abstract class ComposedDeviceStore<P extends DeviceStoreParts = DeviceStoreParts> implements DeviceStore {
  /** The adapter's own parts, with their adapter-specific members (a subclass's overrides use them). */
  protected constructor(protected readonly parts: P) {}

  abstract close(): Promise<void>;

  upsertDevice(input: DeviceUpsert, now: EpochMs): Promise<{ device: Device; created: boolean }> {
    return this.parts.devices.upsertDevice(input, now);
  }

  /**
   * Both writes at once (a known device's tree write does not wait for its device write); a new device's tree is
   * written again once the device exists. Adapters with transactions override this with one.
   */
  async recordInform(input: DeviceUpsert, parameters: ParameterUpdate[], now: EpochMs): Promise<{ device: Device; created: boolean }> {
    if (parameters.length === 0) return this.upsertDevice(input, now);
    const [written, tree] = await Promise.allSettled([this.upsertDevice(input, now), this.upsertParameters(input.id, parameters, now)]);
    if (written.status === 'rejected') throw written.reason;
    if (tree.status === 'rejected') {
      if (!(tree.reason instanceof StoreNotFoundError)) throw tree.reason;
      await this.upsertParameters(input.id, parameters, now);
    }
    return written.value;
  }
  getDevice(id: string): Promise<Device | null> {
    return this.parts.devices.getDevice(id);
  }
  listDevices(filter: DeviceFilter, options?: DeviceListOptions): Promise<PageResult<DeviceView>> {
    return this.parts.devices.listDevices(filter, options);
  }
  deleteDevice(id: string): Promise<boolean> {
    return this.parts.devices.deleteDevice(id);
  }
  addTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.parts.devices.addTags(id, tags, now);
  }
  removeTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.parts.devices.removeTags(id, tags, now);
  }
  recordPoke(id: string, poke: LastPoke): Promise<Device | null> {
    return this.parts.devices.recordPoke(id, poke);
  }

  upsertParameters(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): Promise<void> {
    return this.parts.parameters.upsertParameters(deviceId, updates, readAt);
  }
  getParameters(deviceId: string, prefix?: string): Promise<Parameter[]> {
    return this.parts.parameters.getParameters(deviceId, prefix);
  }
  deleteParameterSubtree(deviceId: string, prefix: string): Promise<number> {
    return this.parts.parameters.deleteParameterSubtree(deviceId, prefix);
  }
  pruneMissingInstances(deviceId: string, parentPath: string, presentPaths: string[]): Promise<number> {
    return this.parts.parameters.pruneMissingInstances(deviceId, parentPath, presentPaths);
  }

  createCredential(input: CredentialInput, now: EpochMs): Promise<Credential> {
    return this.parts.credentials.createCredential(input, now);
  }
  getCredential(id: string): Promise<Credential | null> {
    return this.parts.credentials.getCredential(id);
  }
  findCredentialsByUsername(username: string): Promise<Credential[]> {
    return this.parts.credentials.findCredentialsByUsername(username);
  }
  listCredentials(filter?: CredentialFilter): Promise<Credential[]> {
    return this.parts.credentials.listCredentials(filter);
  }
  updateCredential(id: string, patch: CredentialPatch, now: EpochMs): Promise<Credential | null> {
    return this.parts.credentials.updateCredential(id, patch, now);
  }
  deleteCredential(id: string): Promise<boolean> {
    return this.parts.credentials.deleteCredential(id);
  }

  createDeviceType(input: DeviceTypeInput, now: EpochMs): Promise<DeviceType> {
    return this.parts.deviceTypes.createDeviceType(input, now);
  }
  getDeviceType(id: string): Promise<DeviceType | null> {
    return this.parts.deviceTypes.getDeviceType(id);
  }
  listDeviceTypes(): Promise<DeviceType[]> {
    return this.parts.deviceTypes.listDeviceTypes();
  }
  updateDeviceType(id: string, patch: DeviceTypePatch, now: EpochMs): Promise<DeviceType | null> {
    return this.parts.deviceTypes.updateDeviceType(id, patch, now);
  }
  deleteDeviceType(id: string): Promise<boolean> {
    return this.parts.deviceTypes.deleteDeviceType(id);
  }
  matchDeviceType(oui: string, productClass: string, serialNumber: string): Promise<DeviceType | null> {
    return this.parts.deviceTypes.matchDeviceType(oui, productClass, serialNumber);
  }

  createTasks(deviceId: string, inputs: TaskInput[], now: EpochMs): Promise<Task[]> {
    return this.parts.tasks.createTasks(deviceId, inputs, now);
  }
  getTask(id: string): Promise<Task | null> {
    return this.parts.tasks.getTask(id);
  }
  listTasks(filter: TaskFilter, page?: Page): Promise<PageResult<Task>> {
    return this.parts.tasks.listTasks(filter, page);
  }
  openTasks(deviceId: string): Promise<Task[]> {
    return this.parts.tasks.openTasks(deviceId);
  }
  nextRunnableTask(deviceId: string, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.nextRunnableTask(deviceId, now);
  }
  claimTask(id: string, now: EpochMs, progress?: JsonValue | null): Promise<Task | null> {
    return this.parts.tasks.claimTask(id, now, progress);
  }
  releaseTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.releaseTask(id, now);
  }
  completeTask(id: string, result: JsonValue | null, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.completeTask(id, result, now);
  }
  failTask(id: string, fault: TaskFault, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.failTask(id, fault, now);
  }
  cancelTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.cancelTask(id, now);
  }
  setTaskProgress(id: string, progress: JsonValue | null, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.setTaskProgress(id, progress, now);
  }
  requeueTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.parts.tasks.requeueTask(id, now);
  }
  expireTasks(now: EpochMs): Promise<number> {
    return this.parts.tasks.expireTasks(now);
  }

  recordFault(input: FaultInput, now: EpochMs): Promise<Fault> {
    return this.parts.faults.recordFault(input, now);
  }
  getFault(id: string): Promise<Fault | null> {
    return this.parts.faults.getFault(id);
  }
  listFaults(filter: FaultFilter, page?: Page): Promise<PageResult<Fault>> {
    return this.parts.faults.listFaults(filter, page);
  }
  retryFault(id: string, now: EpochMs): Promise<Fault | null> {
    return this.parts.faults.retryFault(id, now);
  }
  deleteFault(id: string): Promise<boolean> {
    return this.parts.faults.deleteFault(id);
  }
}
