import type { Statement } from 'better-sqlite3';
import { resolvePage } from '../device-store.js';
import type { DeviceFilter, DeviceListOptions, DeviceRecords, DeviceView, PageResult } from '../device-store.js';
import { DEVICE_DEPENDENTS, type DependentDeletes } from '../cascades.js';
import { connectionRequestInfo, mergeDevice, normaliseTags } from '../records.js';
import type { Device, DeviceUpsert, EpochMs, LastPoke } from '../types.js';
import { SqlWhere, type SqliteConnection } from './connection.js';
import type { SqliteParameterTree } from './parameter-tree.js';

/** DeviceRecords on the `devices` table (the device as a JSON document beside its queried columns) and `device_tags`. */
export class SqliteDeviceRecords implements DeviceRecords {
  private readonly stmt;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly parameters: SqliteParameterTree,
    private readonly dependents: DependentDeletes<typeof DEVICE_DEPENDENTS, unknown>,
  ) {
    const db = conn.db;
    this.stmt = {
      getDevice: db.prepare<[string], { doc: string; tags: string | null }>(
        `SELECT d.doc, (SELECT json_group_array(tag) FROM (SELECT tag FROM device_tags t WHERE t.device_id = d.id ORDER BY tag)) AS tags FROM devices d WHERE d.id = ?`,
      ),
      insertDevice: db.prepare(
        `INSERT INTO devices (id, oui, product_class, serial_number, device_type_id, last_inform_at, doc) VALUES (@id, @oui, @productClass, @serialNumber, @deviceTypeId, @lastInformAt, @doc)`,
      ),
      updateDevice: db.prepare(
        `UPDATE devices SET oui = @oui, product_class = @productClass, serial_number = @serialNumber, device_type_id = @deviceTypeId, last_inform_at = @lastInformAt, doc = @doc WHERE id = @id`,
      ),
      addTag: db.prepare<[string, string]>(`INSERT OR IGNORE INTO device_tags (device_id, tag) VALUES (?, ?)`),
      removeTag: db.prepare<[string, string]>(`DELETE FROM device_tags WHERE device_id = ? AND tag = ?`),
    };
  }

  async upsertDevice(input: DeviceUpsert, now: EpochMs): Promise<{ device: Device; created: boolean }> {
    return this.upsertDeviceNow(input, now);
  }

  /** upsertDevice inside the caller's transaction (better-sqlite3 transactions take synchronous functions). */
  upsertDeviceNow(input: DeviceUpsert, now: EpochMs): { device: Device; created: boolean } {
    return this.conn.atomically(() => {
      const existing = this.readDevice(input.id);
      const device = mergeDevice(existing, input, now);
      this.writeDevice(device, existing === null);
      return { device, created: existing === null };
    });
  }

  async getDevice(id: string): Promise<Device | null> {
    return this.readDevice(id);
  }

  async listDevices(filter: DeviceFilter, options: DeviceListOptions = {}): Promise<PageResult<DeviceView>> {
    const { limit, offset } = resolvePage(options);
    const where = new SqlWhere();
    if (filter.ids) where.add(`d.id IN (SELECT value FROM json_each(?))`, JSON.stringify(filter.ids));
    where.equals('d.oui', filter.oui);
    where.equals('d.serial_number', filter.serialNumber);
    where.equals('d.product_class', filter.productClass);
    where.equals('d.device_type_id', filter.deviceTypeId);
    for (const tag of filter.tags ?? []) where.add(`EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = ?)`, tag);
    if (filter.lastInformFrom !== undefined) where.add(`d.last_inform_at >= ?`, filter.lastInformFrom);
    if (filter.lastInformBefore !== undefined) where.add(`d.last_inform_at < ?`, filter.lastInformBefore);
    const total = (this.conn.sql(`SELECT count(*) AS n FROM devices d ${where.clause}`).get(...where.args) as { n: number }).n;
    const page = this.conn.sql(`SELECT d.id FROM devices d ${where.clause} ORDER BY d.id LIMIT ? OFFSET ?`).all(...where.args, limit, offset) as { id: string }[];
    const ids = page.map((r) => r.id);
    const items: DeviceView[] = [];
    for (const id of ids) {
      const device = this.readDevice(id);
      if (!device) continue;
      if (options.projection) items.push({ ...device, parameters: this.parameters.parametersIn(id, options.projection) });
      else items.push(device);
    }
    return { items, total };
  }

  async deleteDevice(id: string): Promise<boolean> {
    return this.conn.atomically(() => {
      for (const dependent of DEVICE_DEPENDENTS) this.dependents[dependent](id);
      this.conn.sql(`DELETE FROM device_tags WHERE device_id = ?`).run(id);
      return this.conn.sql(`DELETE FROM devices WHERE id = ?`).run(id).changes > 0;
    });
  }

  async addTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.changeTags(id, tags, now, this.stmt.addTag);
  }

  async removeTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.changeTags(id, tags, now, this.stmt.removeTag);
  }

  async recordPoke(id: string, poke: LastPoke): Promise<Device | null> {
    return this.conn.atomically(() => {
      const device = this.readDevice(id);
      if (!device) return null;
      device.lastPoke = { requestId: poke.requestId, at: poke.at };
      this.writeDevice(device, false);
      return device;
    });
  }

  private changeTags(id: string, tags: readonly string[], now: EpochMs, stmt: Statement<[string, string]>): Device | null {
    return this.conn.atomically(() => {
      const device = this.readDevice(id);
      if (!device) return null;
      for (const tag of normaliseTags(tags)) stmt.run(id, tag);
      const updated = this.readDevice(id) as Device;
      updated.updatedAt = now;
      this.writeDevice(updated, false);
      return updated;
    });
  }

  private readDevice(id: string): Device | null {
    const row = this.stmt.getDevice.get(id);
    if (!row) return null;
    const device = JSON.parse(row.doc) as Device;
    device.tags = row.tags ? (JSON.parse(row.tags) as string[]) : [];
    // Documents written before a connection-request field existed read it as null, as in the Mongo adapter.
    device.connectionRequest = connectionRequestInfo(device.connectionRequest);
    return device;
  }

  private writeDevice(device: Device, insert: boolean): void {
    // Tags live in their own table (indexed filter); the document never carries them.
    const { tags: _tags, ...doc } = device;
    const params = {
      id: device.id,
      oui: device.oui,
      productClass: device.productClass,
      serialNumber: device.serialNumber,
      deviceTypeId: device.deviceTypeId,
      lastInformAt: device.lastInformAt,
      doc: JSON.stringify(doc),
    };
    (insert ? this.stmt.insertDevice : this.stmt.updateDevice).run(params);
  }
}
