import { resolvePage } from '../device-store.js';
import type { FaultFilter, FaultLog, Page, PageResult } from '../device-store.js';
import { newFault, retriedFault } from '../records.js';
import type { EpochMs, Fault, FaultInput } from '../types.js';
import { conflictOnUnique, SqlWhere, type SqliteConnection } from './connection.js';
import type { SqliteTaskQueue } from './task-queue.js';

const parse = (r: { doc: string }) => JSON.parse(r.doc) as Fault;

/** FaultLog on the `faults` table. */
export class SqliteFaultLog implements FaultLog {
  private readonly stmt;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly tasks: SqliteTaskQueue,
  ) {
    const db = conn.db;
    this.stmt = {
      insertFault: db.prepare(`INSERT INTO faults (id, device_id, task_id, created_at, doc) VALUES (@id, @deviceId, @taskId, @createdAt, @doc)`),
      updateFault: db.prepare<[string, string]>(`UPDATE faults SET doc = ? WHERE id = ?`),
      getFault: db.prepare<[string], { doc: string }>(`SELECT doc FROM faults WHERE id = ?`),
      deleteFault: db.prepare<[string]>(`DELETE FROM faults WHERE id = ?`),
    };
  }

  async recordFault(input: FaultInput, now: EpochMs): Promise<Fault> {
    const fault = newFault(input, now);
    conflictOnUnique('fault', fault.id, () =>
      this.stmt.insertFault.run({ id: fault.id, deviceId: fault.deviceId, taskId: fault.taskId, createdAt: fault.createdAt, doc: JSON.stringify(fault) }),
    );
    return fault;
  }

  async getFault(id: string): Promise<Fault | null> {
    const row = this.stmt.getFault.get(id);
    return row ? parse(row) : null;
  }

  async listFaults(filter: FaultFilter, page?: Page): Promise<PageResult<Fault>> {
    const { limit, offset } = resolvePage(page);
    const where = new SqlWhere();
    where.equals('device_id', filter.deviceId);
    where.equals('task_id', filter.taskId);
    const total = (this.conn.sql(`SELECT count(*) AS n FROM faults ${where.clause}`).get(...where.args) as { n: number }).n;
    const rows = this.conn.sql(`SELECT doc FROM faults ${where.clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...where.args, limit, offset) as { doc: string }[];
    return { items: rows.map(parse), total };
  }

  async retryFault(id: string, now: EpochMs): Promise<Fault | null> {
    return this.conn.atomically(() => {
      const row = this.stmt.getFault.get(id);
      if (!row) return null;
      const next = retriedFault(parse(row), now);
      this.stmt.updateFault.run(JSON.stringify(next), id);
      if (next.taskId !== null) this.tasks.requeueNow(next.taskId, now);
      return next;
    });
  }

  async deleteFault(id: string): Promise<boolean> {
    return this.stmt.deleteFault.run(id).changes > 0;
  }

  /** A device's faults, as its deletion takes them (see cascades.ts). */
  deleteOfDevice(deviceId: string): void {
    this.conn.sql(`DELETE FROM faults WHERE device_id = ?`).run(deviceId);
  }
}
