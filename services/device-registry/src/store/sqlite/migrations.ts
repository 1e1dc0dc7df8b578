import type { Database } from 'better-sqlite3';

// Each entry migrates from version i to i+1 (PRAGMA user_version); append, never edit.
export const MIGRATIONS: readonly string[] = [
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

/** Brings the schema to the latest version, each step in its own transaction. */
export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
