import type { DeviceTypeStore } from '../device-store.js';
import { DEVICE_TYPE_DEPENDENTS, type DependentDeletes } from '../cascades.js';
import { pickDeviceType } from '../device-type-match.js';
import { connectionRequestPolicy, newDeviceType, patchDeviceType } from '../records.js';
import type { DeviceType, DeviceTypeInput, DeviceTypePatch, EpochMs } from '../types.js';
import { conflictOnUnique, type SqliteConnection } from './connection.js';

// Documents written before a policy field existed take its default on the way out, as in the Mongo adapter.
const parse = (r: { doc: string }): DeviceType => {
  const doc = JSON.parse(r.doc) as DeviceType;
  return { ...doc, connectionRequestPolicy: connectionRequestPolicy(doc.connectionRequestPolicy) };
};

/** DeviceTypeStore on the `device_types` table, unique on the name. */
export class SqliteDeviceTypeStore implements DeviceTypeStore {
  private readonly stmt;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly dependents: DependentDeletes<typeof DEVICE_TYPE_DEPENDENTS, unknown>,
  ) {
    const db = conn.db;
    this.stmt = {
      insertDeviceType: db.prepare<[string, string, string]>(`INSERT INTO device_types (id, name, doc) VALUES (?, ?, ?)`),
      updateDeviceType: db.prepare<[string, string, string]>(`UPDATE device_types SET name = ?, doc = ? WHERE id = ?`),
      getDeviceType: db.prepare<[string], { doc: string }>(`SELECT doc FROM device_types WHERE id = ?`),
      allDeviceTypes: db.prepare<[], { doc: string }>(`SELECT doc FROM device_types ORDER BY name`),
    };
  }

  async createDeviceType(input: DeviceTypeInput, now: EpochMs): Promise<DeviceType> {
    const type = newDeviceType(input, now);
    conflictOnUnique('device type', type.name, () => this.stmt.insertDeviceType.run(type.id, type.name, JSON.stringify(type)));
    return type;
  }

  async getDeviceType(id: string): Promise<DeviceType | null> {
    const row = this.stmt.getDeviceType.get(id);
    return row ? parse(row) : null;
  }

  async listDeviceTypes(): Promise<DeviceType[]> {
    return this.stmt.allDeviceTypes.all().map(parse);
  }

  async updateDeviceType(id: string, patch: DeviceTypePatch, now: EpochMs): Promise<DeviceType | null> {
    return this.conn.atomically(() => {
      const row = this.stmt.getDeviceType.get(id);
      if (!row) return null;
      const next = patchDeviceType(parse(row), patch, now);
      conflictOnUnique('device type', next.name, () => this.stmt.updateDeviceType.run(next.name, JSON.stringify(next), id));
      return next;
    });
  }

  async deleteDeviceType(id: string): Promise<boolean> {
    return this.conn.atomically(() => {
      for (const dependent of DEVICE_TYPE_DEPENDENTS) this.dependents[dependent](id);
      return this.conn.sql(`DELETE FROM device_types WHERE id = ?`).run(id).changes > 0;
    });
  }

  async matchDeviceType(oui: string, productClass: string, serialNumber: string): Promise<DeviceType | null> {
    return pickDeviceType(await this.listDeviceTypes(), oui, productClass, serialNumber);
  }
}
