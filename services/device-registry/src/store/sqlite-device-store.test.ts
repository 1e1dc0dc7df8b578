import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeDeviceStoreContract } from './device-store.contract.js';
import { createSqliteDeviceStore } from './sqlite-device-store.js';

describeDeviceStoreContract('SqliteDeviceStore (:memory:)', async () => createSqliteDeviceStore({ filename: ':memory:' }));

describe('SqliteDeviceStore on a file', () => {
  it('persists across reopen, in WAL mode, migrating only once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-sqlite-store-'));
    try {
      const filename = join(dir, 'registry.db');
      const first = createSqliteDeviceStore({ filename });
      await first.upsertDevice({ id: 'OUI-PC-SN', oui: 'OUI', productClass: 'PC', serialNumber: 'SN' }, 1);
      await first.upsertParameters('OUI-PC-SN', [{ path: 'Device.DeviceInfo.UpTime', value: '7' }], 2);
      expect(existsSync(`${filename}-wal`)).toBe(true);
      await first.close();

      const second = createSqliteDeviceStore({ filename });
      expect((await second.getDevice('OUI-PC-SN'))?.serialNumber).toBe('SN');
      expect((await second.getParameters('OUI-PC-SN')).map((p) => [p.path, p.value, p.readAt])).toEqual([['Device.DeviceInfo.UpTime', '7', 2]]);
      await second.close();
      // Closing twice is harmless (shutdown paths may race).
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
