// `@acs/device-registry/mongo`: the MongoDB adapter. An entry of its own so that importing the package's main entry
// loads no database driver; a process loads mongoose only when it uses this store.
export { MongoDeviceStore, createMongoDeviceStore } from './store/mongo/mongo-device-store.js';
export type { MongoDeviceStoreOptions } from './store/mongo/connection.js';
export type { ConditionalWrites } from './store/mongo/ferretdb-workarounds.js';
