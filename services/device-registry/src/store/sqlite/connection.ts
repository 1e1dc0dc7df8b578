import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { StoreConflictError } from '../device-store.js';
import { migrate } from './migrations.js';

export interface SqliteDeviceStoreOptions {
  /** A file path, or `:memory:` for a private in-memory database. */
  filename: string;
}

/** One database file (WAL), migrated on open, shared by the store's modules. */
export class SqliteConnection {
  readonly db: SqliteDatabase;
  // Statements whose text depends on the filter given; few distinct shapes, so cache them all.
  private readonly dynamic = new Map<string, Statement<unknown[]>>();

  constructor(options: SqliteDeviceStoreOptions) {
    this.db = new Database(options.filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
    migrate(this.db);
  }

  /** A statement prepared once per distinct text. */
  sql(text: string): Statement<unknown[]> {
    let stmt = this.dynamic.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.dynamic.set(text, stmt);
    }
    return stmt;
  }

  /** `fn` in one transaction; nested inside another it becomes a savepoint of that one. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** `write`, with a unique or primary-key violation reported as StoreConflictError on `entity` `key`. */
export function conflictOnUnique<T>(entity: string, key: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new StoreConflictError(entity, key, { cause: err });
    throw err;
  }
}

/** The WHERE clause of a listing and its arguments, built from the fields its filter gives. */
export class SqlWhere {
  private readonly conditions: string[] = [];
  readonly args: (string | number)[] = [];

  add(condition: string, ...args: (string | number)[]): void {
    this.conditions.push(condition);
    this.args.push(...args);
  }

  /** `column = value`; nothing when the filter does not give the value. */
  equals(column: string, value: string | undefined): void {
    if (value !== undefined) this.add(`${column} = ?`, value);
  }

  /** '' when the filter gives nothing. */
  get clause(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
