/**
 * A store of CWMP session records, shared by every gateway replica.
 *
 * Values are JSON-serialisable plain objects: what `get` returns is a fresh copy decoded from
 * JSON, never the object given to `put`. Methods reject with `KvUnavailableError` when the
 * backing server cannot be reached, and with `KvDataError` when a value cannot be encoded or
 * decoded; a missing or expired key is not an error.
 */
export interface SessionStore<T = unknown> {
  /** The record, or `null` when the key was never written, was deleted or its TTL ran out. */
  get(key: string): Promise<T | null>;
  /** Creates or replaces the record; it expires `ttlMs` (a positive integer) after this call. */
  put(key: string, value: T, ttlMs: number): Promise<void>;
  /** Removes the record; `true` if there was one. */
  delete(key: string): Promise<boolean>;
  /** Restarts the TTL of an existing record; `false` (and nothing stored) if there is none. */
  touch(key: string, ttlMs: number): Promise<boolean>;
}

/** Proof of holding a lock: only the holder of this token may release or extend it. */
export interface LockHandle {
  readonly key: string;
  /** Random owner token, unique per successful `acquire`. */
  readonly token: string;
}

/**
 * A mutual-exclusion lock per key (one CWMP session per device), with a TTL so that a crashed
 * holder cannot keep it forever. Rejects with `KvUnavailableError` when the server is down.
 */
export interface DeviceLock {
  /** A handle when the lock was free (or expired) and is now ours; `null` when someone else holds it. */
  acquire(key: string, ttlMs: number): Promise<LockHandle | null>;
  /** Releases only if `handle.token` still owns the lock; `false` if it expired or was taken over. */
  release(handle: LockHandle): Promise<boolean>;
  /** Restarts the TTL only if `handle.token` still owns the lock; `false` otherwise. */
  extend(handle: LockHandle, ttlMs: number): Promise<boolean>;
}

export interface RateLimit {
  /** Hits allowed per window (positive integer). */
  limit: number;
  /** Window length in milliseconds (positive integer). */
  windowMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Hits still allowed in the current window after this one. */
  remaining: number;
  /** 0 when allowed; otherwise milliseconds until the window resets. */
  retryAfterMs: number;
}

/**
 * Fixed-window rate limiter: the first hit on a key opens a window of `windowMs`; every hit in
 * it counts (refused hits too), and the count resets when the window ends. A burst of up to
 * `2 × limit` can straddle a window boundary; that is the accepted price of O(1) state per key.
 * Rejects with `KvUnavailableError` when the server is down.
 */
export interface RateLimiter {
  hit(key: string, limit: RateLimit): Promise<RateLimitResult>;
}

/** The three ports built over one backend, plus a way to let go of it. */
export interface Kv {
  readonly sessions: SessionStore;
  readonly locks: DeviceLock;
  readonly rateLimiter: RateLimiter;
  /** Stops the memory sweep / closes a Redis connection this module opened (not one passed in). */
  close(): Promise<void>;
}
