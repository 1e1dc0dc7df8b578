export type { SessionStore, DeviceLock, LockHandle, RateLimiter, RateLimit, RateLimitResult, Kv } from './ports.js';
export { KvError, KvUnavailableError, KvDataError, KvCommandError } from './errors.js';
export type { KvErrorCode } from './errors.js';
export { MemorySessionStore, MemoryDeviceLock, MemoryRateLimiter, createMemoryKv } from './memory.js';
export type { MemoryKvOptions } from './memory.js';
export { RedisSessionStore, RedisDeviceLock, RedisRateLimiter, createRedisKv } from './redis.js';
export type { RedisAdapterOptions, RedisKvOptions } from './redis.js';
