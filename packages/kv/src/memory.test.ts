import { afterEach, describe, expect, it } from '@jest/globals';
import { describeDeviceLockContract } from './device-lock.contract.js';
import { eventually } from './eventually.js';
import { createMemoryKv, MemoryDeviceLock, MemoryRateLimiter, MemorySessionStore } from './memory.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';
import { describeSessionStoreContract } from './session-store.contract.js';

// In one process there is one table: both "clients" are the same instance.
describeSessionStoreContract('MemorySessionStore', () => {
  const store = new MemorySessionStore();
  return { first: store, second: store, close: async () => store.close() };
});
describeDeviceLockContract('MemoryDeviceLock', () => {
  const locks = new MemoryDeviceLock();
  return { first: locks, second: locks, close: async () => locks.close() };
});
describeRateLimiterContract('MemoryRateLimiter', () => {
  const limiter = new MemoryRateLimiter();
  return { first: limiter, second: limiter, close: async () => limiter.close() };
});

function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('memory adapters with an injected clock', () => {
  const closers: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c.close();
  });
  const track = <T extends { close(): void }>(x: T): T => (closers.push(x), x);

  it('expires a session exactly at its TTL and purges it lazily on read', async () => {
    const clock = manualClock();
    const store = track(new MemorySessionStore({ now: clock.now, sweepIntervalMs: 0 }));
    await store.put('s', { v: 1 }, 1_000);
    clock.advance(999);
    expect(await store.get('s')).toEqual({ v: 1 });
    clock.advance(1);
    expect(store.size).toBe(1);
    expect(await store.get('s')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('sweep purges expired entries nobody reads again, and keeps live ones', async () => {
    const clock = manualClock();
    const store = track(new MemorySessionStore({ now: clock.now, sweepIntervalMs: 0 }));
    await store.put('short', { v: 1 }, 100);
    await store.put('long', { v: 2 }, 10_000);
    clock.advance(500);
    store.sweep();
    expect(store.size).toBe(1);
    expect(await store.get('long')).toEqual({ v: 2 });
  });

  it('runs the background sweep on its interval', async () => {
    const clock = manualClock();
    const locks = track(new MemoryDeviceLock({ now: clock.now, sweepIntervalMs: 10 }));
    expect(await locks.acquire('d', 100)).not.toBeNull();
    clock.advance(200);
    // Nothing reads the key: only the timer can purge it.
    await eventually('the sweep to purge the expired lock', async () => locks.size === 0, 2_000, 5);
    expect(await locks.acquire('d', 100)).not.toBeNull();
  });

  it('touch moves the expiry from the time of the touch', async () => {
    const clock = manualClock();
    const store = track(new MemorySessionStore({ now: clock.now, sweepIntervalMs: 0 }));
    await store.put('s', { v: 1 }, 100);
    clock.advance(90);
    expect(await store.touch('s', 100)).toBe(true);
    clock.advance(90);
    expect(await store.get('s')).toEqual({ v: 1 });
    clock.advance(10);
    expect(await store.get('s')).toBeNull();
  });

  it('lock: frees at TTL, extend restarts it from now', async () => {
    const clock = manualClock();
    const locks = track(new MemoryDeviceLock({ now: clock.now, sweepIntervalMs: 0 }));
    const h = await locks.acquire('d', 100);
    clock.advance(60);
    expect(await locks.extend(h!, 100)).toBe(true);
    clock.advance(60);
    expect(await locks.acquire('d', 100)).toBeNull();
    clock.advance(40);
    expect(await locks.extend(h!, 100)).toBe(false);
    expect(await locks.acquire('d', 100)).not.toBeNull();
  });

  it('rate limiter: retryAfterMs is the time left in the window, which later hits do not move', async () => {
    const clock = manualClock();
    const limiter = track(new MemoryRateLimiter({ now: clock.now, sweepIntervalMs: 0 }));
    const limit = { limit: 1, windowMs: 1_000 };
    expect((await limiter.hit('k', limit)).allowed).toBe(true);
    clock.advance(300);
    expect(await limiter.hit('k', limit)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 700 });
    clock.advance(699);
    expect(await limiter.hit('k', limit)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    clock.advance(1);
    expect(await limiter.hit('k', limit)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('createMemoryKv builds all three ports over one clock', async () => {
    const clock = manualClock();
    const kv = createMemoryKv({ now: clock.now, sweepIntervalMs: 0 });
    await kv.sessions.put('s', { v: 1 }, 100);
    const lock = await kv.locks.acquire('d', 100);
    await kv.rateLimiter.hit('r', { limit: 1, windowMs: 100 });
    clock.advance(100);
    expect(await kv.sessions.get('s')).toBeNull();
    expect(await kv.locks.release(lock!)).toBe(false);
    expect((await kv.rateLimiter.hit('r', { limit: 1, windowMs: 100 })).allowed).toBe(true);
    await kv.close();
  });
});
