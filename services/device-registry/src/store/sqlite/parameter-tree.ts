import { StoreNotFoundError } from '../device-store.js';
import type { ParameterTree } from '../device-store.js';
import { byPath, missingInstancePaths, subtreeBase } from '../parameter-paths.js';
import type { EpochMs, Parameter, ParameterUpdate } from '../types.js';
import type { SqliteConnection } from './connection.js';

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

/** The range-scan bounds of a subtree (see subtreeParameters). */
function subtreeRange(prefix: string): [string, string, string] {
  const base = subtreeBase(prefix);
  return [prefix, base, `${base.slice(0, -1)}/`];
}

/** ParameterTree on the `parameters` table: one row per parameter, so a partial update touches only its rows. */
export class SqliteParameterTree implements ParameterTree {
  private readonly stmt;

  constructor(private readonly conn: SqliteConnection) {
    const db = conn.db;
    this.stmt = {
      deviceExists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM devices WHERE id = ?`),
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
    };
  }

  async upsertParameters(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): Promise<void> {
    this.upsertParametersNow(deviceId, updates, readAt);
  }

  /** upsertParameters inside the caller's transaction. */
  upsertParametersNow(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): void {
    this.conn.atomically(() => {
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
    });
  }

  async getParameters(deviceId: string, prefix?: string): Promise<Parameter[]> {
    return this.readSubtree(deviceId, prefix);
  }

  async deleteParameterSubtree(deviceId: string, prefix: string): Promise<number> {
    return this.stmt.deleteSubtree.run(deviceId, ...subtreeRange(prefix)).changes;
  }

  async pruneMissingInstances(deviceId: string, parentPath: string, presentPaths: string[]): Promise<number> {
    return this.conn.atomically(() => {
      const stored = this.readSubtree(deviceId, parentPath).map((p) => p.path);
      const doomed = missingInstancePaths(parentPath, presentPaths, stored);
      for (const path of doomed) this.stmt.deleteParameter.run(deviceId, path);
      return doomed.length;
    });
  }

  /** The parameters in the subtree of any of `prefixes`, each once, in path order (listDevices' projection). */
  parametersIn(deviceId: string, prefixes: readonly string[]): Parameter[] {
    const found = new Map<string, Parameter>();
    for (const prefix of prefixes) for (const p of this.readSubtree(deviceId, prefix)) found.set(p.path, p);
    return [...found.values()].sort(byPath);
  }

  /** The device's whole tree, as its deletion takes it (see cascades.ts). */
  deleteTree(deviceId: string): void {
    this.conn.sql(`DELETE FROM parameters WHERE device_id = ?`).run(deviceId);
  }

  private readSubtree(deviceId: string, prefix: string | undefined): Parameter[] {
    if (!prefix) return this.stmt.allParameters.all(deviceId).map(toParameter);
    return this.stmt.subtreeParameters.all(deviceId, ...subtreeRange(prefix)).map(toParameter);
  }
}
