import { ComposedDeviceStore } from '../composed-device-store.js';
import { SqliteConnection, type SqliteDeviceStoreOptions } from './connection.js';
import { SqliteCredentialStore } from './credentials.js';
import { SqliteDeviceRecords } from './device-records.js';
import { SqliteDeviceTypeStore } from './device-types.js';
import { SqliteFaultLog } from './fault-log.js';
import { SqliteParameterTree } from './parameter-tree.js';
import { SqliteTaskQueue } from './task-queue.js';
import type { Device, DeviceUpsert, EpochMs, ParameterUpdate } from '../types.js';

function parts(conn: SqliteConnection) {
  const parameters = new SqliteParameterTree(conn);
  const credentials = new SqliteCredentialStore(conn);
  const tasks = new SqliteTaskQueue(conn);
  const faults = new SqliteFaultLog(conn, tasks);
  const devices = new SqliteDeviceRecords(conn, parameters, {
    parameters: (id) => parameters.deleteTree(id),
    tasks: (id) => tasks.deleteOfDevice(id),
    faults: (id) => faults.deleteOfDevice(id),
    deviceCredentials: (id) => credentials.deleteScope('device', id),
  });
  const deviceTypes = new SqliteDeviceTypeStore(conn, { typeCredentials: (id) => credentials.deleteScope('deviceType', id) });
  return { devices, parameters, credentials, deviceTypes, tasks, faults };
}

/**
 * Embedded `DeviceStore` on better-sqlite3 (WAL), one module per role (sqlite/*.ts). Records are kept as JSON
 * documents beside the columns that are queried; parameters are real rows so partial updates touch only their
 * rows. better-sqlite3 is synchronous, so each method is atomic with respect to this process.
 */
export class SqliteDeviceStore extends ComposedDeviceStore<ReturnType<typeof parts>> {
  private readonly conn: SqliteConnection;

  constructor(options: SqliteDeviceStoreOptions) {
    const conn = new SqliteConnection(options);
    super(parts(conn));
    this.conn = conn;
  }

  /** Both writes in one transaction. */
  override async recordInform(input: DeviceUpsert, parameters: ParameterUpdate[], now: EpochMs): Promise<{ device: Device; created: boolean }> {
    return this.conn.atomically(() => {
      const written = this.parts.devices.upsertDeviceNow(input, now);
      if (parameters.length > 0) this.parts.parameters.upsertParametersNow(input.id, parameters, now);
      return written;
    });
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}

/** Opens (creating and migrating as needed) an embedded store. */
export function createSqliteDeviceStore(options: SqliteDeviceStoreOptions): SqliteDeviceStore {
  return new SqliteDeviceStore(options);
}
