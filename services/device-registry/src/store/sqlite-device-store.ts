import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { StoreConflictError, StoreNotFoundError, resolvePage } from './device-store.js';
import type { CredentialFilter, DeviceFilter, DeviceListOptions, DeviceStore, DeviceView, FaultFilter, Page, PageResult, TaskFilter } from './device-store.js';
import { DEVICE_DEPENDENTS, DEVICE_TYPE_DEPENDENTS, type DependentDeletes } from './cascades.js';
import { pickDeviceType } from './device-type-match.js';
import { byPath, missingInstancePaths, subtreeBase } from './parameter-paths.js';
import { credentialKey, mergeDevice, newCredential, newDeviceType, newFault, newTask, normaliseTags, patchCredential, patchDeviceType, retriedFault, scopeId } from './records.js';
import { cancel, claim, complete, expire, fail, progress, release, requeue } from './task-transitions.js';
import type { Credential, CredentialScope, Device, DeviceType, EpochMs, Fault, JsonValue, LastPoke, Parameter, ParameterUpdate, Task } from './types.js';

export interface SqliteDeviceStoreOptions {
  /** A file path, or `:memory:` for a private in-memory database. */
  filename: string;
}

// Each entry migrates from version i to i+1 (PRAGMA user_version); append, never edit.
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    oui TEXT NOT NULL,
    product_class TEXT NOT NULL,
    serial_number TEXT NOT NULL,
    device_type_id TEXT,
    last_inform_at INTEGER,
    task_seq INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX devices_serial ON devices (serial_number);
  CREATE INDEX devices_product_class ON devices (product_class);
  CREATE INDEX devices_oui ON devices (oui);
  CREATE INDEX devices_type ON devices (device_type_id);
  CREATE INDEX devices_last_inform ON devices (last_inform_at);
  CREATE TABLE device_tags (
    device_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (device_id, tag)
  ) WITHOUT ROWID;
  CREATE INDEX device_tags_tag ON device_tags (tag, device_id);
  CREATE TABLE parameters (
    device_id TEXT NOT NULL,
    path TEXT NOT NULL,
    value TEXT,
    type TEXT,
    writable INTEGER,
    object INTEGER NOT NULL,
    notification INTEGER,
    access_list TEXT,
    read_at INTEGER,
    PRIMARY KEY (device_id, path)
  ) WITHOUT ROWID;
  CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (scope_kind, scope_id, username)
  );
  CREATE INDEX credentials_username ON credentials (username);
  CREATE INDEX credentials_scope ON credentials (scope_id);
  CREATE TABLE device_types (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
  );
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER,
    doc TEXT NOT NULL,
    UNIQUE (device_id, seq)
  );
  CREATE INDEX tasks_status_expiry ON tasks (status, expires_at);
  CREATE TABLE faults (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    task_id TEXT,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX faults_device ON faults (device_id, created_at);
  CREATE INDEX faults_task ON faults (task_id);
  `,
  `
  ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX tasks_runnable ON tasks (device_id, status, priority DESC, seq);
  `,
  // Connection-request routing: a device's credentials say when and by whom they were set (dated by the device's
  // last update, the best we know), devices remember their last poke, types get the default policy and no type-level
  // credentials. The policy literal is DEFAULT_CONNECTION_REQUEST_POLICY as of this migration.
  `
  UPDATE devices SET doc = json_set(doc,
    '$.connectionRequestAuth.updatedAt', json_extract(doc, '$.updatedAt'),
    '$.connectionRequestAuth.source', json('null'))
  WHERE json_type(doc, '$.connectionRequestAuth') = 'object';
  UPDATE devices SET doc = json_set(doc, '$.lastPoke', json('null'));
  UPDATE device_types SET doc = json_set(doc,
    '$.connectionRequestPolicy', json('{"transports":["http","udp","xmpp"],"deadlineMs":30000,"allowBasicAuth":false,"vpn":null}'),
    '$.connectionRequestAuth', json('null'));
  `,
];

interface ParameterRow {
  path: string;
  value: string | null;
  type: string | null;
  writable: number | null;
  object: number;
  notification: number | null;
  access_list: string | null;
  read_at: number | null;
}

function toParameter(r: ParameterRow): Parameter {
  return {
    path: r.path,
    value: r.value,
    type: r.type,
    writable: r.writable === null ? null : r.writable === 1,
    object: r.object === 1,
    notification: r.notification as Parameter['notification'],
    accessList: r.access_list === null ? null : (JSON.parse(r.access_list) as string[]),
    readAt: r.read_at,
  };
}

const bool = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/**
 * Embedded `DeviceStore` on better-sqlite3 (WAL). Records are kept as JSON documents beside the
 * columns that are queried; parameters are real rows so partial updates touch only their rows.
 * better-sqlite3 is synchronous, so each method is atomic with respect to this process.
 */
export class SqliteDeviceStore implements DeviceStore {
  private readonly db: SqliteDatabase;
  private readonly stmt: ReturnType<SqliteDeviceStore['prepare']>;
  // Statements whose text depends on the filter given; few distinct shapes, so cache them all.
  private readonly dynamic = new Map<string, Statement<unknown[]>>();

  constructor(options: SqliteDeviceStoreOptions) {
    this.db = new Database(options.filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
    this.migrate();
    this.stmt = this.prepare();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getDevice: db.prepare<[string], { doc: string; tags: string | null }>(
        `SELECT d.doc, (SELECT json_group_array(tag) FROM (SELECT tag FROM device_tags t WHERE t.device_id = d.id ORDER BY tag)) AS tags FROM devices d WHERE d.id = ?`,
      ),
      insertDevice: db.prepare(
        `INSERT INTO devices (id, oui, product_class, serial_number, device_type_id, last_inform_at, doc) VALUES (@id, @oui, @productClass, @serialNumber, @deviceTypeId, @lastInformAt, @doc)`,
      ),
      updateDevice: db.prepare(
        `UPDATE devices SET oui = @oui, product_class = @productClass, serial_number = @serialNumber, device_type_id = @deviceTypeId, last_inform_at = @lastInformAt, doc = @doc WHERE id = @id`,
      ),
      deviceExists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM devices WHERE id = ?`),
      addTag: db.prepare<[string, string]>(`INSERT OR IGNORE INTO device_tags (device_id, tag) VALUES (?, ?)`),
      removeTag: db.prepare<[string, string]>(`DELETE FROM device_tags WHERE device_id = ? AND tag = ?`),
      upsertParameter: db.prepare(`
        INSERT INTO parameters (device_id, path, value, type, writable, object, notification, access_list, read_at)
        VALUES (@deviceId, @path, @value, @type, @writable, @object, @notification, @accessList, @readAt)
        ON CONFLICT (device_id, path) DO UPDATE SET
          value = COALESCE(excluded.value, value),
          type = COALESCE(excluded.type, type),
          writable = COALESCE(excluded.writable, writable),
          object = CASE WHEN @objectGiven THEN excluded.object ELSE object END,
          notification = COALESCE(excluded.notification, notification),
          access_list = COALESCE(excluded.access_list, access_list),
          read_at = COALESCE(excluded.read_at, read_at)`),
      allParameters: db.prepare<[string], ParameterRow>(`SELECT * FROM parameters WHERE device_id = ? ORDER BY path`),
      // Range scan on the primary key: [base, base with its final '.' bumped to '/') is exactly
      // the paths starting with base, because '/' is the character right after '.'.
      subtreeParameters: db.prepare<[string, string, string, string], ParameterRow>(
        `SELECT * FROM parameters WHERE device_id = ? AND (path = ? OR (path >= ? AND path < ?)) ORDER BY path`,
      ),
      deleteSubtree: db.prepare<[string, string, string, string]>(`DELETE FROM parameters WHERE device_id = ? AND (path = ? OR (path >= ? AND path < ?))`),
      deleteParameter: db.prepare<[string, string]>(`DELETE FROM parameters WHERE device_id = ? AND path = ?`),
      insertCredential: db.prepare(`INSERT INTO credentials (id, username, scope_kind, scope_id, doc) VALUES (@id, @username, @scopeKind, @scopeId, @doc)`),
      updateCredential: db.prepare<[string, string]>(`UPDATE credentials SET doc = ? WHERE id = ?`),
      getCredential: db.prepare<[string], { doc: string }>(`SELECT doc FROM credentials WHERE id = ?`),
      credentialsByUsername: db.prepare<[string], { doc: string }>(`SELECT doc FROM credentials WHERE username = ? ORDER BY id`),
      insertDeviceType: db.prepare<[string, string, string]>(`INSERT INTO device_types (id, name, doc) VALUES (?, ?, ?)`),
      updateDeviceType: db.prepare<[string, string, string]>(`UPDATE device_types SET name = ?, doc = ? WHERE id = ?`),
      getDeviceType: db.prepare<[string], { doc: string }>(`SELECT doc FROM device_types WHERE id = ?`),
      allDeviceTypes: db.prepare<[], { doc: string }>(`SELECT doc FROM device_types ORDER BY name`),
      reserveSeq: db.prepare<[number, string], { task_seq: number }>(`UPDATE devices SET task_seq = task_seq + ? WHERE id = ? RETURNING task_seq`),
      insertTask: db.prepare(
        `INSERT INTO tasks (id, device_id, seq, status, expires_at, priority, doc) VALUES (@id, @deviceId, @seq, @status, @expiresAt, @priority, @doc)`,
      ),
      updateTask: db.prepare(`UPDATE tasks SET status = @status, expires_at = @expiresAt, doc = @doc WHERE id = @id`),
      getTask: db.prepare<[string], { doc: string }>(`SELECT doc FROM tasks WHERE id = ?`),
      nextTask: db.prepare<[string, number], { doc: string }>(
        `SELECT doc FROM tasks WHERE device_id = ? AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?) ORDER BY priority DESC, seq LIMIT 1`,
      ),
      expiredTasks: db.prepare<[number], { doc: string }>(`SELECT doc FROM tasks WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?`),
      insertFault: db.prepare(`INSERT INTO faults (id, device_id, task_id, created_at, doc) VALUES (@id, @deviceId, @taskId, @createdAt, @doc)`),
      updateFault: db.prepare<[string, string]>(`UPDATE faults SET doc = ? WHERE id = ?`),
      getFault: db.prepare<[string], { doc: string }>(`SELECT doc FROM faults WHERE id = ?`),
      deleteFault: db.prepare<[string]>(`DELETE FROM faults WHERE id = ?`),
    };
  }

  private sql(text: string): Statement<unknown[]> {
    let stmt = this.dynamic.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.dynamic.set(text, stmt);
    }
    return stmt;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- devices ----

  private readDevice(id: string): Device | null {
    const row = this.stmt.getDevice.get(id);
    if (!row) return null;
    const device = JSON.parse(row.doc) as Device;
    device.tags = row.tags ? (JSON.parse(row.tags) as string[]) : [];
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

  async upsertDevice(input: Parameters<DeviceStore['upsertDevice']>[0], now: EpochMs): Promise<{ device: Device; created: boolean }> {
    return this.db.transaction(() => {
      const existing = this.readDevice(input.id);
      const device = mergeDevice(existing, input, now);
      this.writeDevice(device, existing === null);
      return { device, created: existing === null };
    })();
  }

  async getDevice(id: string): Promise<Device | null> {
    return this.readDevice(id);
  }

  async listDevices(filter: DeviceFilter, options: DeviceListOptions = {}): Promise<PageResult<DeviceView>> {
    const { limit, offset } = resolvePage(options);
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.ids) {
      where.push(`d.id IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(filter.ids));
    }
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`d.${column} = ?`);
      args.push(value);
    };
    eq('oui', filter.oui);
    eq('serial_number', filter.serialNumber);
    eq('product_class', filter.productClass);
    eq('device_type_id', filter.deviceTypeId);
    for (const tag of filter.tags ?? []) {
      where.push(`EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = ?)`);
      args.push(tag);
    }
    if (filter.lastInformFrom !== undefined) {
      where.push(`d.last_inform_at >= ?`);
      args.push(filter.lastInformFrom);
    }
    if (filter.lastInformBefore !== undefined) {
      where.push(`d.last_inform_at < ?`);
      args.push(filter.lastInformBefore);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.sql(`SELECT count(*) AS n FROM devices d ${clause}`).get(...args) as { n: number }).n;
    const ids = (this.sql(`SELECT d.id FROM devices d ${clause} ORDER BY d.id LIMIT ? OFFSET ?`).all(...args, limit, offset) as { id: string }[]).map(
      (r) => r.id,
    );
    const items: DeviceView[] = [];
    for (const id of ids) {
      const device = this.readDevice(id);
      if (!device) continue;
      if (options.projection) items.push({ ...device, parameters: this.projectParameters(id, options.projection) });
      else items.push(device);
    }
    return { items, total };
  }

  private projectParameters(deviceId: string, prefixes: readonly string[]): Parameter[] {
    const found = new Map<string, Parameter>();
    for (const prefix of prefixes) for (const p of this.readSubtree(deviceId, prefix)) found.set(p.path, p);
    return [...found.values()].sort(byPath);
  }

  async deleteDevice(id: string): Promise<boolean> {
    const dependents: DependentDeletes<typeof DEVICE_DEPENDENTS, unknown> = {
      parameters: (deviceId) => this.sql(`DELETE FROM parameters WHERE device_id = ?`).run(deviceId),
      tasks: (deviceId) => this.sql(`DELETE FROM tasks WHERE device_id = ?`).run(deviceId),
      faults: (deviceId) => this.sql(`DELETE FROM faults WHERE device_id = ?`).run(deviceId),
      deviceCredentials: (deviceId) => this.sql(`DELETE FROM credentials WHERE scope_kind = 'device' AND scope_id = ?`).run(deviceId),
    };
    return this.db.transaction(() => {
      for (const dependent of DEVICE_DEPENDENTS) dependents[dependent](id);
      this.sql(`DELETE FROM device_tags WHERE device_id = ?`).run(id);
      return this.sql(`DELETE FROM devices WHERE id = ?`).run(id).changes > 0;
    })();
  }

  private changeTags(id: string, tags: readonly string[], now: EpochMs, stmt: Statement<[string, string]>): Device | null {
    return this.db.transaction(() => {
      const device = this.readDevice(id);
      if (!device) return null;
      for (const tag of normaliseTags(tags)) stmt.run(id, tag);
      const updated = this.readDevice(id) as Device;
      updated.updatedAt = now;
      this.writeDevice(updated, false);
      return updated;
    })();
  }

  async addTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.changeTags(id, tags, now, this.stmt.addTag);
  }

  async removeTags(id: string, tags: string[], now: EpochMs): Promise<Device | null> {
    return this.changeTags(id, tags, now, this.stmt.removeTag);
  }

  async recordPoke(id: string, poke: LastPoke): Promise<Device | null> {
    return this.db.transaction(() => {
      const device = this.readDevice(id);
      if (!device) return null;
      device.lastPoke = { requestId: poke.requestId, at: poke.at };
      this.writeDevice(device, false);
      return device;
    })();
  }

  // ---- parameters ----

  async upsertParameters(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): Promise<void> {
    this.db.transaction(() => {
      if (!this.stmt.deviceExists.get(deviceId)) throw new StoreNotFoundError('device', deviceId);
      for (const u of updates) {
        this.stmt.upsertParameter.run({
          deviceId,
          path: u.path,
          value: u.value ?? null,
          type: u.type ?? null,
          writable: bool(u.writable),
          object: bool(u.object) ?? (u.path.endsWith('.') ? 1 : 0),
          objectGiven: u.object === undefined ? 0 : 1,
          notification: u.notification ?? null,
          accessList: u.accessList === undefined ? null : JSON.stringify(u.accessList),
          readAt: u.value === undefined ? null : readAt,
        });
      }
    })();
  }

  private readSubtree(deviceId: string, prefix: string | undefined): Parameter[] {
    if (!prefix) return this.stmt.allParameters.all(deviceId).map(toParameter);
    const base = subtreeBase(prefix);
    return this.stmt.subtreeParameters.all(deviceId, prefix, base, `${base.slice(0, -1)}/`).map(toParameter);
  }

  async getParameters(deviceId: string, prefix?: string): Promise<Parameter[]> {
    return this.readSubtree(deviceId, prefix);
  }

  async deleteParameterSubtree(deviceId: string, prefix: string): Promise<number> {
    const base = subtreeBase(prefix);
    return this.stmt.deleteSubtree.run(deviceId, prefix, base, `${base.slice(0, -1)}/`).changes;
  }

  async pruneMissingInstances(deviceId: string, parentPath: string, presentPaths: string[]): Promise<number> {
    return this.db.transaction(() => {
      const stored = this.readSubtree(deviceId, parentPath).map((p) => p.path);
      const doomed = missingInstancePaths(parentPath, presentPaths, stored);
      for (const path of doomed) this.stmt.deleteParameter.run(deviceId, path);
      return doomed.length;
    })();
  }

  // ---- credentials ----

  async createCredential(input: Parameters<DeviceStore['createCredential']>[0], now: EpochMs): Promise<Credential> {
    const cred = newCredential(input, now);
    try {
      this.stmt.insertCredential.run({ id: cred.id, username: cred.username, scopeKind: cred.scope.kind, scopeId: scopeId(cred.scope), doc: JSON.stringify(cred) });
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflictError('credential', credentialKey(cred), { cause: err });
      throw err;
    }
    return cred;
  }

  async getCredential(id: string): Promise<Credential | null> {
    const row = this.stmt.getCredential.get(id);
    return row ? (JSON.parse(row.doc) as Credential) : null;
  }

  async findCredentialsByUsername(username: string): Promise<Credential[]> {
    return this.stmt.credentialsByUsername.all(username).map((r) => JSON.parse(r.doc) as Credential);
  }

  async listCredentials(filter: CredentialFilter = {}): Promise<Credential[]> {
    const where: string[] = [];
    const args: string[] = [];
    const scope = (kind: CredentialScope['kind'], id: string | undefined) => {
      if (id === undefined) return;
      where.push(`(scope_kind = ? AND scope_id = ?)`);
      args.push(kind, id);
    };
    scope('device', filter.deviceId);
    scope('deviceType', filter.deviceTypeId);
    if (filter.username !== undefined) {
      where.push('username = ?');
      args.push(filter.username);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return (this.sql(`SELECT doc FROM credentials ${clause} ORDER BY username, id`).all(...args) as { doc: string }[]).map(
      (r) => JSON.parse(r.doc) as Credential,
    );
  }

  async updateCredential(id: string, patch: Parameters<DeviceStore['updateCredential']>[1], now: EpochMs): Promise<Credential | null> {
    return this.db.transaction(() => {
      const row = this.stmt.getCredential.get(id);
      if (!row) return null;
      const next = patchCredential(JSON.parse(row.doc) as Credential, patch, now);
      this.stmt.updateCredential.run(JSON.stringify(next), id);
      return next;
    })();
  }

  async deleteCredential(id: string): Promise<boolean> {
    return this.sql(`DELETE FROM credentials WHERE id = ?`).run(id).changes > 0;
  }

  // ---- device types ----

  async createDeviceType(input: Parameters<DeviceStore['createDeviceType']>[0], now: EpochMs): Promise<DeviceType> {
    const type = newDeviceType(input, now);
    try {
      this.stmt.insertDeviceType.run(type.id, type.name, JSON.stringify(type));
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflictError('device type', type.name, { cause: err });
      throw err;
    }
    return type;
  }

  async getDeviceType(id: string): Promise<DeviceType | null> {
    const row = this.stmt.getDeviceType.get(id);
    return row ? (JSON.parse(row.doc) as DeviceType) : null;
  }

  async listDeviceTypes(): Promise<DeviceType[]> {
    return this.stmt.allDeviceTypes.all().map((r) => JSON.parse(r.doc) as DeviceType);
  }

  async updateDeviceType(id: string, patch: Parameters<DeviceStore['updateDeviceType']>[1], now: EpochMs): Promise<DeviceType | null> {
    return this.db.transaction(() => {
      const row = this.stmt.getDeviceType.get(id);
      if (!row) return null;
      const next = patchDeviceType(JSON.parse(row.doc) as DeviceType, patch, now);
      try {
        this.stmt.updateDeviceType.run(next.name, JSON.stringify(next), id);
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreConflictError('device type', next.name, { cause: err });
        throw err;
      }
      return next;
    })();
  }

  async deleteDeviceType(id: string): Promise<boolean> {
    const dependents: DependentDeletes<typeof DEVICE_TYPE_DEPENDENTS, unknown> = {
      typeCredentials: (typeId) => this.sql(`DELETE FROM credentials WHERE scope_kind = 'deviceType' AND scope_id = ?`).run(typeId),
    };
    return this.db.transaction(() => {
      for (const dependent of DEVICE_TYPE_DEPENDENTS) dependents[dependent](id);
      return this.sql(`DELETE FROM device_types WHERE id = ?`).run(id).changes > 0;
    })();
  }

  async matchDeviceType(oui: string, productClass: string, serialNumber: string): Promise<DeviceType | null> {
    return pickDeviceType(await this.listDeviceTypes(), oui, productClass, serialNumber);
  }

  // ---- tasks ----

  private readTask(id: string): Task | null {
    const row = this.stmt.getTask.get(id);
    return row ? (JSON.parse(row.doc) as Task) : null;
  }

  private writeTask(task: Task): void {
    this.stmt.updateTask.run({ id: task.id, status: task.status, expiresAt: task.expiresAt, doc: JSON.stringify(task) });
  }

  async createTasks(deviceId: string, inputs: Parameters<DeviceStore['createTasks']>[1], now: EpochMs): Promise<Task[]> {
    return this.db.transaction(() => {
      const reserved = this.stmt.reserveSeq.get(inputs.length, deviceId);
      if (!reserved) throw new StoreNotFoundError('device', deviceId);
      const first = reserved.task_seq - inputs.length + 1;
      return inputs.map((input, i) => {
        const task = newTask(deviceId, first + i, input, now);
        try {
          this.stmt.insertTask.run({
            id: task.id,
            deviceId,
            seq: task.seq,
            status: task.status,
            expiresAt: task.expiresAt,
            priority: task.priority,
            doc: JSON.stringify(task),
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw new StoreConflictError('task', task.id, { cause: err });
          throw err;
        }
        return task;
      });
    })();
  }

  async getTask(id: string): Promise<Task | null> {
    return this.readTask(id);
  }

  async listTasks(filter: TaskFilter, page?: Page): Promise<PageResult<Task>> {
    const { limit, offset } = resolvePage(page);
    const where: string[] = [];
    const args: string[] = [];
    if (filter.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(filter.deviceId);
    }
    if (filter.status) {
      where.push(`status IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(filter.status));
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.sql(`SELECT count(*) AS n FROM tasks ${clause}`).get(...args) as { n: number }).n;
    const rows = this.sql(`SELECT doc FROM tasks ${clause} ORDER BY device_id, seq LIMIT ? OFFSET ?`).all(...args, limit, offset) as { doc: string }[];
    return { items: rows.map((r) => JSON.parse(r.doc) as Task), total };
  }

  async openTasks(deviceId: string): Promise<Task[]> {
    const rows = this.sql(`SELECT doc FROM tasks WHERE device_id = ? AND status IN ('pending', 'running') ORDER BY seq`).all(deviceId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as Task);
  }

  async nextRunnableTask(deviceId: string, now: EpochMs): Promise<Task | null> {
    const row = this.stmt.nextTask.get(deviceId, now);
    return row ? (JSON.parse(row.doc) as Task) : null;
  }

  private transition(id: string, step: (t: Task) => Task | null, unchangedResult: 'null' | 'current' = 'null'): Task | null {
    return this.db.transaction(() => {
      const task = this.readTask(id);
      if (!task) return null;
      const next = step(task);
      if (!next) return unchangedResult === 'current' ? task : null;
      this.writeTask(next);
      return next;
    })();
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

  async failTask(id: string, fault: Parameters<DeviceStore['failTask']>[1], now: EpochMs): Promise<Task | null> {
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
    return this.db.transaction(() => {
      let n = 0;
      for (const row of this.stmt.expiredTasks.all(now)) {
        const next = expire(JSON.parse(row.doc) as Task, now);
        if (next) {
          this.writeTask(next);
          n++;
        }
      }
      return n;
    })();
  }

  // ---- faults ----

  async recordFault(input: Parameters<DeviceStore['recordFault']>[0], now: EpochMs): Promise<Fault> {
    const fault = newFault(input, now);
    try {
      this.stmt.insertFault.run({ id: fault.id, deviceId: fault.deviceId, taskId: fault.taskId, createdAt: fault.createdAt, doc: JSON.stringify(fault) });
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflictError('fault', fault.id, { cause: err });
      throw err;
    }
    return fault;
  }

  async getFault(id: string): Promise<Fault | null> {
    const row = this.stmt.getFault.get(id);
    return row ? (JSON.parse(row.doc) as Fault) : null;
  }

  async listFaults(filter: FaultFilter, page?: Page): Promise<PageResult<Fault>> {
    const { limit, offset } = resolvePage(page);
    const where: string[] = [];
    const args: string[] = [];
    if (filter.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(filter.deviceId);
    }
    if (filter.taskId !== undefined) {
      where.push('task_id = ?');
      args.push(filter.taskId);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.sql(`SELECT count(*) AS n FROM faults ${clause}`).get(...args) as { n: number }).n;
    const rows = this.sql(`SELECT doc FROM faults ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, limit, offset) as {
      doc: string;
    }[];
    return { items: rows.map((r) => JSON.parse(r.doc) as Fault), total };
  }

  async retryFault(id: string, now: EpochMs): Promise<Fault | null> {
    return this.db.transaction(() => {
      const row = this.stmt.getFault.get(id);
      if (!row) return null;
      const next = retriedFault(JSON.parse(row.doc) as Fault, now);
      this.stmt.updateFault.run(JSON.stringify(next), id);
      if (next.taskId !== null) {
        const task = this.readTask(next.taskId);
        const requeued = task && requeue(task, now);
        if (requeued) this.writeTask(requeued);
      }
      return next;
    })();
  }

  async deleteFault(id: string): Promise<boolean> {
    return this.stmt.deleteFault.run(id).changes > 0;
  }
}

/** Opens (creating and migrating as needed) an embedded store. */
export function createSqliteDeviceStore(options: SqliteDeviceStoreOptions): SqliteDeviceStore {
  return new SqliteDeviceStore(options);
}
