import type { Connection } from 'mongoose';
import { ComposedDeviceStore } from '../composed-device-store.js';
import { openMongoConnection, type MongoConnection, type MongoDeviceStoreOptions } from './connection.js';
import { MongoCredentialStore } from './credentials.js';
import { MongoDeviceRecords } from './device-records.js';
import { MongoDeviceTypeStore } from './device-types.js';
import { MongoFaultLog } from './fault-log.js';
import type { ConditionalWrites } from './ferretdb-workarounds.js';
import { MongoParameterTree } from './parameter-tree.js';
import { MongoTaskQueue } from './task-queue.js';

function parts({ models, conditionalWrites }: MongoConnection) {
  const parameters = new MongoParameterTree(models.parameterTrees, models.devices, conditionalWrites);
  const credentials = new MongoCredentialStore(models.credentials);
  const tasks = new MongoTaskQueue(models.tasks, models.devices, conditionalWrites);
  const faults = new MongoFaultLog(models.faults, tasks, conditionalWrites);
  const devices = new MongoDeviceRecords(models.devices, parameters, {
    parameters: (id) => parameters.deleteTree(id),
    tasks: (id) => tasks.deleteOfDevice(id),
    faults: (id) => faults.deleteOfDevice(id),
    deviceCredentials: (id) => credentials.deleteScope('device', id),
  });
  const deviceTypes = new MongoDeviceTypeStore(models.deviceTypes, { typeCredentials: (id) => credentials.deleteScope('deviceType', id) });
  return { devices, parameters, credentials, deviceTypes, tasks, faults };
}

/**
 * `DeviceStore` on MongoDB through mongoose, one module per role (mongo/*.ts). Kept to operations FerretDB v1 also
 * serves (no transactions, no aggregation, no projection on findAndModify): find, findOneAndUpdate, insertMany,
 * updateOne/updateMany, deleteMany, countDocuments. What a session touches on every request is addressed by `_id`
 * alone (a device, its parameter tree, its open tasks), which FerretDB serves by index. Races are settled by unique
 * indexes and conditional updates.
 * Caveat: MongoDB applies a conditional update atomically, so one of two racing claims wins; FerretDB v1 (seen with
 * 1.24, SQLite backend) does not, which is one reason sessions of one device are serialised by the gateway's
 * per-device lock before they reach the store (see ferretdb-workarounds.ts).
 */
export class MongoDeviceStore extends ComposedDeviceStore {
  private readonly conn: Connection;
  /** What open() chose (or was told): see MongoDeviceStoreOptions.conditionalWrites. */
  readonly conditionalWrites: ConditionalWrites;

  private constructor(connection: MongoConnection) {
    super(parts(connection));
    this.conn = connection.conn;
    this.conditionalWrites = connection.conditionalWrites;
  }

  /** Connects and creates collections and indexes (idempotent). */
  static async open(options: MongoDeviceStoreOptions): Promise<MongoDeviceStore> {
    return new MongoDeviceStore(await openMongoConnection(options));
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

/** Connects to MongoDB (or FerretDB) and prepares collections and indexes. */
export function createMongoDeviceStore(options: MongoDeviceStoreOptions): Promise<MongoDeviceStore> {
  return MongoDeviceStore.open(options);
}
