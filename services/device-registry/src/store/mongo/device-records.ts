import type { Model } from 'mongoose';
import { StoreNotFoundError, resolvePage } from '../device-store.js';
import type { DeviceFilter, DeviceListOptions, DeviceRecords, DeviceView, PageResult } from '../device-store.js';
import { DEVICE_DEPENDENTS, type DependentDeletes } from '../cascades.js';
import { deviceChanges, normaliseTags } from '../records.js';
import type { Device, DeviceUpsert, EpochMs, LastPoke } from '../types.js';
import { isDuplicateKey, mongoOp } from './errors.js';
import { writeById } from './ferretdb-workarounds.js';
import type { MongoParameterTree } from './parameter-tree.js';
import { findRecord, type DeviceDoc } from './schemas.js';

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
      udpConnectionRequestAddressSeenAt: cr.udpConnectionRequestAddressSeenAt ?? null,
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

/** DeviceRecords on the `devices` collection; the device document also carries the task queue's taskSeq and openTaskIds. */
export class MongoDeviceRecords implements DeviceRecords {
  constructor(
    private readonly devices: Model<DeviceDoc>,
    private readonly parameters: MongoParameterTree,
    private readonly dependents: DependentDeletes<typeof DEVICE_DEPENDENTS, Promise<unknown>>,
  ) {}

  async upsertDevice(input: DeviceUpsert, now: EpochMs): Promise<{ device: Device; created: boolean }> {
    return mongoOp(async () => {
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
    return mongoOp(() => findRecord(this.devices, id, toDevice));
  }

  async listDevices(filter: DeviceFilter, options: DeviceListOptions = {}): Promise<PageResult<DeviceView>> {
    const { limit, offset } = resolvePage(options);
    return mongoOp(async () => {
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
        for (const item of items) item.parameters = await this.parameters.parametersIn(item.id, prefixes);
      }
      return { items, total };
    });
  }

  async deleteDevice(id: string): Promise<boolean> {
    return mongoOp(async () => {
      for (const dependent of DEVICE_DEPENDENTS) await this.dependents[dependent](id);
      return (await this.devices.deleteOne({ _id: id })).deletedCount === 1;
    });
  }

  async addTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.update(id, { $addToSet: { tags: { $each: normaliseTags(tags) } }, $set: { updatedAt: now } });
  }

  async removeTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.update(id, { $pullAll: { tags: normaliseTags(tags) }, $set: { updatedAt: now } });
  }

  async recordPoke(id: string, poke: LastPoke): Promise<Device | null> {
    return this.update(id, { $set: { lastPoke: { requestId: poke.requestId, at: poke.at } } });
  }

  private async update(id: string, update: Record<string, unknown>): Promise<Device | null> {
    return mongoOp(async () => {
      const doc = await this.devices.findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' }).lean<DeviceDoc>();
      return doc ? toDevice(doc) : null;
    });
  }
}
