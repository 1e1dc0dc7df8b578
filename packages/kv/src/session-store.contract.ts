import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KvDataError } from './errors.js';
import { eventually } from './eventually.js';
import type { SessionStore } from './ports.js';

export interface SessionStoreFixture {
  /** Two handles on ONE backing store (two connections for a server-backed adapter). */
  first: SessionStore;
  second: SessionStore;
  close?(): Promise<void>;
}

/** The behaviour every `SessionStore` adapter must show; run it from each adapter's tests. */
export function describeSessionStoreContract(name: string, make: () => SessionStoreFixture | Promise<SessionStoreFixture>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let fx: SessionStoreFixture;
    // Unique keys per test, so a shared server needs no flushing between tests.
    const key = (label: string) => `${label}-${randomUUID()}`;

    beforeEach(async () => {
      fx = await make();
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('returns null for a key never written', async () => {
      expect(await fx.first.get(key('missing'))).toBeNull();
    });

    it('round-trips a session record through JSON, visible from the other connection', async () => {
      const k = key('OUI-Product Class-Sérial/1');
      const record = {
        deviceId: { OUI: '00D09E', ProductClass: 'IGD', SerialNumber: 'ü-1' },
        state: 'awaiting-rpc-response',
        cwmpVersion: '1-4',
        events: ['0 BOOTSTRAP', '1 BOOT'],
        pending: [{ name: 'GetParameterValues', ParameterNames: ['Device.DeviceInfo.'] }],
        holdRequests: false,
        maxEnvelopes: 1,
        ratio: 0.5,
        commandKey: null,
      };
      await fx.first.put(k, record, 60_000);
      const read = await fx.second.get(k);
      expect(read).toEqual(record);
      expect(read).not.toBe(record);
    });

    it('returns a copy: mutating what get returned does not change the stored record', async () => {
      const k = key('copy');
      await fx.first.put(k, { n: 1, list: [1] }, 60_000);
      const read = (await fx.first.get(k)) as { n: number; list: number[] };
      read.n = 2;
      read.list.push(2);
      expect(await fx.first.get(k)).toEqual({ n: 1, list: [1] });
    });

    it('replaces a record on put', async () => {
      const k = key('replace');
      await fx.first.put(k, { v: 1 }, 60_000);
      await fx.second.put(k, { v: 2 }, 60_000);
      expect(await fx.first.get(k)).toEqual({ v: 2 });
    });

    it('deletes: true when there was a record, then false, and get gives null', async () => {
      const k = key('delete');
      await fx.first.put(k, { v: 1 }, 60_000);
      expect(await fx.second.delete(k)).toBe(true);
      expect(await fx.first.get(k)).toBeNull();
      expect(await fx.first.delete(k)).toBe(false);
    });

    it('expires a record after its TTL', async () => {
      const k = key('ttl');
      // Long enough to read back on a loaded CI machine, short enough to keep the test fast.
      await fx.first.put(k, { v: 1 }, 250);
      expect(await fx.first.get(k)).toEqual({ v: 1 });
      await eventually('record to expire', async () => (await fx.second.get(k)) === null, 3_000);
      expect(await fx.first.delete(k)).toBe(false);
    });

    it('touch restarts the TTL of an existing record', async () => {
      const kept = key('kept');
      const marker = key('marker');
      await fx.first.put(kept, { k: 1 }, 300);
      expect(await fx.second.touch(kept, 30_000)).toBe(true);
      // Written after the touch with the same first TTL: once it is gone, the untouched TTL has passed.
      await fx.first.put(marker, { m: 1 }, 300);
      await eventually('untouched record to expire', async () => (await fx.first.get(marker)) === null, 3_000);
      expect(await fx.first.get(kept)).toEqual({ k: 1 });
    });

    it('touch of a missing key returns false and creates nothing', async () => {
      const k = key('touch-missing');
      expect(await fx.first.touch(k, 60_000)).toBe(false);
      expect(await fx.first.get(k)).toBeNull();
    });

    it('rejects a value JSON cannot encode with KvDataError, storing nothing', async () => {
      const k = key('bigint');
      await expect(fx.first.put(k, { n: 1n }, 60_000)).rejects.toBeInstanceOf(KvDataError);
      await expect(fx.first.put(k, undefined, 60_000)).rejects.toMatchObject({ code: 'KV_DATA' });
      expect(await fx.first.get(k)).toBeNull();
    });

    it('rejects a TTL that is not a positive integer', async () => {
      await expect(fx.first.put(key('ttl0'), { v: 1 }, 0)).rejects.toBeInstanceOf(RangeError);
      await expect(fx.first.put(key('ttl-frac'), { v: 1 }, 1.5)).rejects.toBeInstanceOf(RangeError);
      await expect(fx.first.touch(key('ttl-neg'), -1)).rejects.toBeInstanceOf(RangeError);
    });
  });
}
