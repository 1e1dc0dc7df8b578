import { randomUUID } from 'node:crypto';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { KvCommandError, KvUnavailableError } from './errors.js';
import type { DeviceLock, Kv, LockHandle, RateLimit, RateLimiter, RateLimitResult, SessionStore } from './ports.js';
import { assertRateLimit, assertTtl, decodeJson, encodeJson } from './validate.js';

export interface RedisAdapterOptions {
  /** Prepended to every key this adapter touches (namespaces tenants / environments). */
  prefix?: string;
}

// Compare-and-delete / compare-and-pexpire: a holder whose lock expired and was taken over must
// not release or extend the new holder's lock, so the check and the write are one atomic script.
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
// Fixed window: INCR and the first PEXPIRE must be atomic, or a crash between them leaves a
// counter without TTL that refuses the key forever. The PTTL < 0 branch also repairs such keys.
const RATE_LUA = `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

interface KvScripts {
  acsKvLockRelease(key: string, token: string): Promise<number>;
  acsKvLockExtend(key: string, token: string, ttlMs: number): Promise<number>;
  acsKvRateHit(key: string, windowMs: number): Promise<[number, number]>;
}

function withScripts(client: Redis): Redis & KvScripts {
  const scripted = client as Redis & Partial<KvScripts>;
  // defineCommand caches the script by SHA (EVALSHA, falling back to EVAL after a restart).
  if (scripted.acsKvLockRelease === undefined) {
    client.defineCommand('acsKvLockRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
    client.defineCommand('acsKvLockExtend', { numberOfKeys: 1, lua: EXTEND_LUA });
    client.defineCommand('acsKvRateHit', { numberOfKeys: 1, lua: RATE_LUA });
  }
  return client as Redis & KvScripts;
}

/** Runs one Redis call, turning transport failures into `KvUnavailableError`. */
async function call<R>(operation: string, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof ReplyError) {
      const message = (cause as Error).message;
      // A server still loading its data set, or a replica, is an outage from our point of view.
      if (/^(LOADING|READONLY|MASTERDOWN|BUSY)\b/.test(message)) throw new KvUnavailableError(operation, { cause });
      throw new KvCommandError(operation, { cause });
    }
    throw new KvUnavailableError(operation, { cause });
  }
}

/** `SessionStore` over Redis strings (`SET ... PX`), one key per session. */
export class RedisSessionStore<T = unknown> implements SessionStore<T> {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, options: RedisAdapterOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'acs:session:';
  }

  async get(key: string): Promise<T | null> {
    const text = await call('session get', () => this.#client.get(this.#prefix + key));
    return text === null ? null : decodeJson<T>(key, text);
  }

  async put(key: string, value: T, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    const text = encodeJson(key, value);
    await call('session put', () => this.#client.set(this.#prefix + key, text, 'PX', ttlMs));
  }

  async delete(key: string): Promise<boolean> {
    return (await call('session delete', () => this.#client.del(this.#prefix + key))) > 0;
  }

  async touch(key: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    return (await call('session touch', () => this.#client.pexpire(this.#prefix + key, ttlMs))) === 1;
  }
}

/** `DeviceLock` over Redis: `SET NX PX` with a random owner token, Lua for release and extend. */
export class RedisDeviceLock implements DeviceLock {
  readonly #client: Redis & KvScripts;
  readonly #prefix: string;

  constructor(client: Redis, options: RedisAdapterOptions = {}) {
    this.#client = withScripts(client);
    this.#prefix = options.prefix ?? 'acs:lock:';
  }

  async acquire(key: string, ttlMs: number): Promise<LockHandle | null> {
    assertTtl(ttlMs);
    const token = randomUUID();
    const reply = await call('lock acquire', () => this.#client.set(this.#prefix + key, token, 'PX', ttlMs, 'NX'));
    return reply === 'OK' ? { key, token } : null;
  }

  async release(handle: LockHandle): Promise<boolean> {
    return (await call('lock release', () => this.#client.acsKvLockRelease(this.#prefix + handle.key, handle.token))) === 1;
  }

  async extend(handle: LockHandle, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    return (await call('lock extend', () => this.#client.acsKvLockExtend(this.#prefix + handle.key, handle.token, ttlMs))) === 1;
  }
}

/** Fixed-window `RateLimiter` over Redis: one counter per key, updated by one Lua script. */
export class RedisRateLimiter implements RateLimiter {
  readonly #client: Redis & KvScripts;
  readonly #prefix: string;

  constructor(client: Redis, options: RedisAdapterOptions = {}) {
    this.#client = withScripts(client);
    this.#prefix = options.prefix ?? 'acs:rate:';
  }

  async hit(key: string, { limit, windowMs }: RateLimit): Promise<RateLimitResult> {
    assertRateLimit(limit, windowMs);
    const [count, ttl] = await call('rate hit', () => this.#client.acsKvRateHit(this.#prefix + key, windowMs));
    const allowed = count <= limit;
    return { allowed, remaining: Math.max(0, limit - count), retryAfterMs: allowed ? 0 : Math.max(1, ttl) };
  }
}

export interface RedisKvOptions {
  /** Key prefix; the adapters use `<prefix>session:`, `<prefix>lock:` and `<prefix>rate:`. Default `acs:`. */
  prefix?: string;
  /** Extra ioredis options when a URL is given (ignored for a client passed in). */
  redisOptions?: RedisOptions;
  /** Connection errors of a client opened here (ioredis keeps reconnecting; calls fail with `KvUnavailableError` meanwhile). */
  onError?: (error: Error) => void;
}

// Fail calls fast during an outage instead of queueing them for long: a CWMP session waiting on
// its store is better answered with an error the gateway can map to a retryable HTTP status.
// Auto-pipelining: the commands issued in one event-loop turn (a session record's keys, many sessions' at once) go
// out in one socket write; a write per command was the gateway's largest single cost under load (bench:profile).
const DEFAULT_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000, enableAutoPipelining: true };

/**
 * The three Redis adapters over one ioredis client. Given a URL, opens (and on `close()` quits)
 * its own client; given a client, shares it and leaves its lifecycle to the caller.
 */
export function createRedisKv(urlOrClient: string | Redis, options: RedisKvOptions = {}): Kv {
  const prefix = options.prefix ?? 'acs:';
  const owned = typeof urlOrClient === 'string';
  const client = owned ? new Redis(urlOrClient, { ...DEFAULT_REDIS_OPTIONS, ...options.redisOptions }) : urlOrClient;
  if (owned) client.on('error', (error: Error) => options.onError?.(error));
  return {
    sessions: new RedisSessionStore(client, { prefix: `${prefix}session:` }),
    locks: new RedisDeviceLock(client, { prefix: `${prefix}lock:` }),
    rateLimiter: new RedisRateLimiter(client, { prefix: `${prefix}rate:` }),
    async close() {
      if (!owned) return;
      // QUIT needs a live server; during an outage just drop the socket.
      await client.quit().catch(() => client.disconnect());
    },
  };
}
