import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { eventually } from './eventually.js';
import type { DeviceLock } from './ports.js';

export interface DeviceLockFixture {
  /** Two independent clients of ONE lock table (two connections for a server-backed adapter). */
  first: DeviceLock;
  second: DeviceLock;
  close?(): Promise<void>;
}

/** The behaviour every `DeviceLock` adapter must show; run it from each adapter's tests. */
export function describeDeviceLockContract(name: string, make: () => DeviceLockFixture | Promise<DeviceLockFixture>): void {
  describe(`DeviceLock contract: ${name}`, () => {
    let fx: DeviceLockFixture;
    const key = (label: string) => `${label}-${randomUUID()}`;

    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('lets exactly one of two racing clients win each lock', async () => {
      const keys = Array.from({ length: 25 }, (_, i) => key(`race${i}`));
      const results = await Promise.all(keys.map((k) => Promise.all([fx.first.acquire(k, 30_000), fx.second.acquire(k, 30_000)])));
      for (const [a, b] of results) expect([a, b].filter((h) => h !== null)).toHaveLength(1);
    });

    it('refuses a held lock, and grants it once the owner releases it', async () => {
      const k = key('held');
      const mine = await fx.first.acquire(k, 30_000);
      expect(mine).toMatchObject({ key: k });
      expect(await fx.second.acquire(k, 30_000)).toBeNull();
      expect(await fx.first.acquire(k, 30_000)).toBeNull();
      expect(await fx.first.release(mine!)).toBe(true);
      const theirs = await fx.second.acquire(k, 30_000);
      expect(theirs).not.toBeNull();
      expect(theirs!.token).not.toBe(mine!.token);
    });

    it('refuses a release by a non-owner and keeps the lock held', async () => {
      const k = key('forged');
      const mine = await fx.first.acquire(k, 30_000);
      expect(await fx.second.release({ key: k, token: randomUUID() })).toBe(false);
      expect(await fx.second.acquire(k, 30_000)).toBeNull();
      expect(await fx.first.release(mine!)).toBe(true);
      expect(await fx.first.release(mine!)).toBe(false);
    });

    it('extends only for the owner, and an extended lock outlives its first TTL', async () => {
      const k = key('extended');
      const mine = await fx.first.acquire(k, 300);
      expect(await fx.second.extend({ key: k, token: randomUUID() }, 30_000)).toBe(false);
      expect(await fx.first.extend(mine!, 30_000)).toBe(true);
      // Taken after the extend with the same first TTL: once it is free, the unextended TTL has passed.
      const marker = key('marker');
      expect(await fx.first.acquire(marker, 300)).not.toBeNull();
      await eventually('marker lock to expire', async () => (await fx.second.acquire(marker, 30_000)) !== null, 3_000);
      expect(await fx.second.acquire(k, 30_000)).toBeNull();
      expect(await fx.first.release(mine!)).toBe(true);
    });

    it('frees an expired lock; the old handle can then neither release nor extend it', async () => {
      const k = key('expiry');
      const stale = await fx.first.acquire(k, 150);
      expect(stale).not.toBeNull();
      let fresh = null as Awaited<ReturnType<DeviceLock['acquire']>>;
      await eventually('lock to expire', async () => (fresh = await fx.second.acquire(k, 30_000)) !== null, 3_000);
      expect(await fx.first.release(stale!)).toBe(false);
      expect(await fx.first.extend(stale!, 30_000)).toBe(false);
      expect(await fx.first.acquire(k, 30_000)).toBeNull();
      expect(await fx.second.release(fresh!)).toBe(true);
    });

    it('rejects a TTL that is not a positive integer', async () => {
      await expect(fx.first.acquire(key('ttl0'), 0)).rejects.toBeInstanceOf(RangeError);
      await expect(fx.first.acquire(key('ttl-nan'), Number.NaN)).rejects.toBeInstanceOf(RangeError);
    });
  });
}
