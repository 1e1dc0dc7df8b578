export { freePort } from './free-port.js';
export { MissingServerError, UnusableServerError, ServerStartError, requireBinary, spawnOwned, waitReady, makeTempDir } from './process.js';
export type { OwnedProcess } from './process.js';
export { startNats, NATS_INSTALL } from './nats.js';
export type { NatsServer } from './nats.js';
export { startRedis, REDIS_INSTALL } from './redis.js';
export type { RedisServer } from './redis.js';
export { startFerretDb, goBinDirs, FERRETDB_INSTALL, FERRETDB_VERSION } from './ferretdb.js';
export type { FerretDbServer } from './ferretdb.js';
