import type { Model } from 'mongoose';
import type { DeviceTypeStore } from '../device-store.js';
import { DEVICE_TYPE_DEPENDENTS, type DependentDeletes } from '../cascades.js';
import { pickDeviceType } from '../device-type-match.js';
import { connectionRequestPolicy, newDeviceType, patchDeviceType } from '../records.js';
import type { DeviceType, DeviceTypeInput, DeviceTypePatch, EpochMs } from '../types.js';
import { conflictOnDuplicate, mongoOp } from './errors.js';
import { findRecord, withoutId, type DeviceTypeDoc } from './schemas.js';

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

/** DeviceTypeStore on the `deviceTypes` collection (unique index on the name). */
export class MongoDeviceTypeStore implements DeviceTypeStore {
  constructor(
    private readonly deviceTypes: Model<DeviceTypeDoc>,
    private readonly dependents: DependentDeletes<typeof DEVICE_TYPE_DEPENDENTS, Promise<unknown>>,
  ) {}

  async createDeviceType(input: DeviceTypeInput, now: EpochMs): Promise<DeviceType> {
    const type = newDeviceType(input, now);
    return mongoOp(async () => {
      await conflictOnDuplicate('device type', type.name, () => this.deviceTypes.create(withoutId(type)));
      return type;
    });
  }

  async getDeviceType(id: string): Promise<DeviceType | null> {
    return mongoOp(() => findRecord(this.deviceTypes, id, toDeviceType));
  }

  async listDeviceTypes(): Promise<DeviceType[]> {
    return mongoOp(async () => (await this.deviceTypes.find({}).sort({ name: 1 }).lean<DeviceTypeDoc[]>()).map(toDeviceType));
  }

  async updateDeviceType(id: string, patch: DeviceTypePatch, now: EpochMs): Promise<DeviceType | null> {
    return mongoOp(async () => {
      const doc = await this.deviceTypes.findById(id).lean<DeviceTypeDoc>();
      if (!doc) return null;
      const next = patchDeviceType(toDeviceType(doc), patch, now);
      const { _id, ...fields } = withoutId(next);
      const res = await conflictOnDuplicate('device type', next.name, () => this.deviceTypes.updateOne({ _id }, { $set: fields }));
      return res.matchedCount === 0 ? null : next;
    });
  }

  async deleteDeviceType(id: string): Promise<boolean> {
    return mongoOp(async () => {
      for (const dependent of DEVICE_TYPE_DEPENDENTS) await this.dependents[dependent](id);
      return (await this.deviceTypes.deleteOne({ _id: id })).deletedCount === 1;
    });
  }

  async matchDeviceType(oui: string, productClass: string, serialNumber: string): Promise<DeviceType | null> {
    return pickDeviceType(await this.listDeviceTypes(), oui, productClass, serialNumber);
  }
}
