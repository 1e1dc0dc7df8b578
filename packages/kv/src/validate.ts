import { KvDataError } from './errors.js';

// A zero or fractional TTL is a caller bug: Redis would reject it, and memory must agree.
export function assertTtl(ttlMs: number, what = 'ttlMs'): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`${what} must be a positive integer, got ${ttlMs}`);
}

export function assertRateLimit(limit: number, windowMs: number): void {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  assertTtl(windowMs, 'windowMs');
}

export function encodeJson(key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new KvDataError(key, 'value is not JSON-serialisable', { cause });
  }
  if (text === undefined) throw new KvDataError(key, 'value is not JSON-serialisable');
  return text;
}

export function decodeJson<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new KvDataError(key, 'stored value is not valid JSON', { cause });
  }
}
