import { StoreNotFoundError, resolvePage } from '../device-store.js';
import type { Page, PageResult, TaskFilter, TaskQueue } from '../device-store.js';
import { newTask } from '../records.js';
import { TaskQueueTransitions, type UnchangedResult } from '../task-queue-transitions.js';
import { expire, requeue } from '../task-transitions.js';
import type { EpochMs, Task, TaskInput } from '../types.js';
import { conflictOnUnique, SqlWhere, type SqliteConnection } from './connection.js';

const parse = (r: { doc: string }) => JSON.parse(r.doc) as Task;

/** TaskQueue on the `tasks` table; queue positions come from the device row's `task_seq`. */
export class SqliteTaskQueue extends TaskQueueTransitions implements TaskQueue {
  private readonly stmt;

  constructor(private readonly conn: SqliteConnection) {
    super();
    const db = conn.db;
    this.stmt = {
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
    };
  }

  async createTasks(deviceId: string, inputs: TaskInput[], now: EpochMs): Promise<Task[]> {
    return this.conn.atomically(() => {
      const reserved = this.stmt.reserveSeq.get(inputs.length, deviceId);
      if (!reserved) throw new StoreNotFoundError('device', deviceId);
      const first = reserved.task_seq - inputs.length + 1;
      return inputs.map((input, i) => {
        const task = newTask(deviceId, first + i, input, now);
        const row = { id: task.id, deviceId, seq: task.seq, status: task.status, expiresAt: task.expiresAt, priority: task.priority, doc: JSON.stringify(task) };
        conflictOnUnique('task', task.id, () => this.stmt.insertTask.run(row));
        return task;
      });
    });
  }

  async getTask(id: string): Promise<Task | null> {
    return this.readTask(id);
  }

  async listTasks(filter: TaskFilter, page?: Page): Promise<PageResult<Task>> {
    const { limit, offset } = resolvePage(page);
    const where = new SqlWhere();
    where.equals('device_id', filter.deviceId);
    if (filter.status) where.add(`status IN (SELECT value FROM json_each(?))`, JSON.stringify(filter.status));
    const total = (this.conn.sql(`SELECT count(*) AS n FROM tasks ${where.clause}`).get(...where.args) as { n: number }).n;
    const rows = this.conn.sql(`SELECT doc FROM tasks ${where.clause} ORDER BY device_id, seq LIMIT ? OFFSET ?`).all(...where.args, limit, offset) as { doc: string }[];
    return { items: rows.map(parse), total };
  }

  async openTasks(deviceId: string): Promise<Task[]> {
    const rows = this.conn.sql(`SELECT doc FROM tasks WHERE device_id = ? AND status IN ('pending', 'running') ORDER BY seq`).all(deviceId) as { doc: string }[];
    return rows.map(parse);
  }

  async nextRunnableTask(deviceId: string, now: EpochMs): Promise<Task | null> {
    const row = this.stmt.nextTask.get(deviceId, now);
    return row ? parse(row) : null;
  }

  async expireTasks(now: EpochMs): Promise<number> {
    return this.conn.atomically(() => {
      let n = 0;
      for (const row of this.stmt.expiredTasks.all(now)) {
        const next = expire(parse(row), now);
        if (next) {
          this.writeTask(next);
          n++;
        }
      }
      return n;
    });
  }

  /** requeueTask inside the caller's transaction (a fault retry). */
  requeueNow(id: string, now: EpochMs): Task | null {
    return this.transition(id, (t) => requeue(t, now));
  }

  /** A device's tasks, as its deletion takes them (see cascades.ts). */
  deleteOfDevice(deviceId: string): void {
    this.conn.sql(`DELETE FROM tasks WHERE device_id = ?`).run(deviceId);
  }

  protected transition(id: string, step: (t: Task) => Task | null, unchanged: UnchangedResult = 'null'): Task | null {
    return this.conn.atomically(() => {
      const task = this.readTask(id);
      if (!task) return null;
      const next = step(task);
      if (!next) return unchanged === 'current' ? task : null;
      this.writeTask(next);
      return next;
    });
  }

  private readTask(id: string): Task | null {
    const row = this.stmt.getTask.get(id);
    return row ? parse(row) : null;
  }

  private writeTask(task: Task): void {
    this.stmt.updateTask.run({ id: task.id, status: task.status, expiresAt: task.expiresAt, doc: JSON.stringify(task) });
  }
}
