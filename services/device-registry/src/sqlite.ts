// `@acs/device-registry/sqlite`: the embedded adapter. An entry of its own so that importing the package's main entry
// loads no database driver; a process loads better-sqlite3 only when it uses this store.
export { SqliteDeviceStore, createSqliteDeviceStore } from './store/sqlite/sqlite-device-store.js';
export type { SqliteDeviceStoreOptions } from './store/sqlite/connection.js';
