import { randomUUID } from 'node:crypto';
import type { DeviceLock, Kv, LockHandle, RateLimit, RateLimiter, RateLimitResult, SessionStore } from './ports.js';
import { assertRateLimit, assertTtl, decodeJson, encodeJson } from './validate.js';

export interface MemoryKvOptions {
  /** Clock in epoch milliseconds; inject one in unit tests to move time by hand. */
  now?: () => number;
  /** How often expired entries are purged in the background; 0 disables the sweep. Default 30 s. */
  sweepIntervalMs?: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

/**
 * A map whose entries expire. Expired entries are dropped when read (so TTLs are exact) and by
 * an unref'd sweep (so keys that are never read again do not leak memory).
 */
class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryKvOptions) {
    this.#now = options.now ?? Date.now;
    const every = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (every > 0) {
      this.#timer = setInterval(() => this.sweep(), every);
      this.#timer.unref();
    }
  }

  now(): number {
    return this.#now();
  }

  get(key: string): { value: V; expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
  }

  delete(key: string): boolean {
    return this.get(key) !== undefined && this.#entries.delete(key);
  }

  /** Entries held, expired ones included until purged (lets tests observe the sweep). */
  get size(): number {
    return this.#entries.size;
  }

  sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

/** In-process `SessionStore`: values kept as JSON text so reads never alias the caller's objects. */
export class MemorySessionStore<T = unknown> implements SessionStore<T> {
  readonly #map: ExpiringMap<string>;

  constructor(options: MemoryKvOptions = {}) {
    this.#map = new ExpiringMap(options);
  }

  async get(key: string): Promise<T | null> {
    const entry = this.#map.get(key);
    return entry === undefined ? null : decodeJson<T>(key, entry.value);
  }

  async put(key: string, value: T, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    this.#map.set(key, encodeJson(key, value), ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    return this.#map.delete(key);
  }

  async touch(key: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    this.#map.set(key, entry.value, ttlMs);
    return true;
  }

  /** Entries held, including expired ones not yet purged. */
  get size(): number {
    return this.#map.size;
  }

  /** Purges expired entries now (the background sweep calls this). */
  sweep(): void {
    this.#map.sweep();
  }

  close(): void {
    this.#map.close();
  }
}

/** In-process `DeviceLock`; one instance is the lock table for the whole process. */
export class MemoryDeviceLock implements DeviceLock {
  readonly #map: ExpiringMap<string>;

  constructor(options: MemoryKvOptions = {}) {
    this.#map = new ExpiringMap(options);
  }

  async acquire(key: string, ttlMs: number): Promise<LockHandle | null> {
    assertTtl(ttlMs);
    if (this.#map.get(key) !== undefined) return null;
    const token = randomUUID();
    this.#map.set(key, token, ttlMs);
    return { key, token };
  }

  async release(handle: LockHandle): Promise<boolean> {
    if (this.#map.get(handle.key)?.value !== handle.token) return false;
    return this.#map.delete(handle.key);
  }

  async extend(handle: LockHandle, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    if (this.#map.get(handle.key)?.value !== handle.token) return false;
    this.#map.set(handle.key, handle.token, ttlMs);
    return true;
  }

  get size(): number {
    return this.#map.size;
  }

  sweep(): void {
    this.#map.sweep();
  }

  close(): void {
    this.#map.close();
  }
}

/** In-process fixed-window `RateLimiter` (same semantics as `RedisRateLimiter`). */
export class MemoryRateLimiter implements RateLimiter {
  readonly #map: ExpiringMap<{ count: number }>;

  constructor(options: MemoryKvOptions = {}) {
    this.#map = new ExpiringMap(options);
  }

  async hit(key: string, { limit, windowMs }: RateLimit): Promise<RateLimitResult> {
    assertRateLimit(limit, windowMs);
    const current = this.#map.get(key);
    const count = (current?.value.count ?? 0) + 1;
    // The first hit opens the window; later hits in it must not move its end.
    const expiresAt = current?.expiresAt ?? this.#map.now() + windowMs;
    if (current === undefined) this.#map.set(key, { count }, windowMs);
    else current.value.count = count;
    const allowed = count <= limit;
    return {
      allowed,
      remaining: Math.max(0, limit - count),
      retryAfterMs: allowed ? 0 : Math.max(1, expiresAt - this.#map.now()),
    };
  }

  get size(): number {
    return this.#map.size;
  }

  sweep(): void {
    this.#map.sweep();
  }

  close(): void {
    this.#map.close();
  }
}

/** The three in-memory adapters, for unit tests and the all-in-one process. */
export function createMemoryKv(options: MemoryKvOptions = {}): Kv & {
  sessions: MemorySessionStore;
  locks: MemoryDeviceLock;
  rateLimiter: MemoryRateLimiter;
} {
  const sessions = new MemorySessionStore(options);
  const locks = new MemoryDeviceLock(options);
  const rateLimiter = new MemoryRateLimiter(options);
  return {
    sessions,
    locks,
    rateLimiter,
    async close() {
      sessions.close();
      locks.close();
      rateLimiter.close();
    },
  };
}
