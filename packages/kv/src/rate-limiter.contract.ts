import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { eventually } from './eventually.js';
import type { RateLimiter } from './ports.js';

export interface RateLimiterFixture {
  /** Two clients of ONE set of counters (two connections for a server-backed adapter). */
  first: RateLimiter;
  second: RateLimiter;
  close?(): Promise<void>;
}

/** The behaviour every `RateLimiter` adapter must show (fixed window); run it from each adapter's tests. */
export function describeRateLimiterContract(name: string, make: () => RateLimiterFixture | Promise<RateLimiterFixture>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let fx: RateLimiterFixture;
    const key = (label: string) => `${label}-${randomUUID()}`;

    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('allows `limit` hits per window, counting down, then refuses with a retry delay', async () => {
      const k = key('count');
      const limit = { limit: 3, windowMs: 60_000 };
      expect(await fx.first.hit(k, limit)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
      expect(await fx.second.hit(k, limit)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
      expect(await fx.first.hit(k, limit)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
      const refused = await fx.second.hit(k, limit);
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      expect(refused.retryAfterMs).toBeGreaterThan(50_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it('counts each key separately', async () => {
      const a = key('a');
      const b = key('b');
      const limit = { limit: 1, windowMs: 60_000 };
      expect((await fx.first.hit(a, limit)).allowed).toBe(true);
      expect((await fx.first.hit(a, limit)).allowed).toBe(false);
      expect((await fx.first.hit(b, limit)).allowed).toBe(true);
    });

    it('opens a new window once the current one ends', async () => {
      const k = key('window');
      const limit = { limit: 2, windowMs: 400 };
      await fx.first.hit(k, limit);
      await fx.first.hit(k, limit);
      const refused = await fx.first.hit(k, limit);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(400);
      let next = refused;
      await eventually('window to reset', async () => (next = await fx.second.hit(k, limit)).allowed, 3_000);
      expect(next).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    });

    it('admits exactly `limit` of many concurrent hits from two clients', async () => {
      const k = key('burst');
      const limit = { limit: 5, windowMs: 60_000 };
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? fx.first : fx.second).hit(k, limit)));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
      expect(results.filter((r) => r.allowed).map((r) => r.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    });

    it('rejects a limit or window that is not a positive integer', async () => {
      await expect(fx.first.hit(key('zero'), { limit: 0, windowMs: 1_000 })).rejects.toBeInstanceOf(RangeError);
      await expect(fx.first.hit(key('win'), { limit: 1, windowMs: 0 })).rejects.toBeInstanceOf(RangeError);
    });
  });
}
