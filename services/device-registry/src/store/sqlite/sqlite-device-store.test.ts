import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from '@jest/globals';
import { describeDeviceStoreContract } from '../device-store.contract.js';
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

describe('SqliteDeviceStore documents from before STUN', () => {
  it('reads a type without a STUN policy and a device without the UDP address time as null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-sqlite-stun-'));
    try {
      const filename = join(dir, 'registry.db');
      const first = createSqliteDeviceStore({ filename });
      await first.upsertDevice({ id: 'OUI-PC-A', oui: 'OUI', productClass: 'PC', serialNumber: 'A', connectionRequest: { udpConnectionRequestAddress: '192.0.2.1:7547' } }, 7);
      const type = await first.createDeviceType({ name: 'gw', connectionRequestPolicy: { xmpp: { keepAliveInterval: 60 } } }, 9);
      await first.close();
      const raw = new Database(filename);
      raw.exec(`UPDATE devices SET doc = json_remove(doc, '$.connectionRequest.udpConnectionRequestAddressSeenAt')`);
      raw.exec(`UPDATE device_types SET doc = json_remove(doc, '$.connectionRequestPolicy.stun')`);
      raw.close();

      const second = createSqliteDeviceStore({ filename });
      expect((await second.getDevice('OUI-PC-A'))?.connectionRequest).toEqual({
        connectionRequestURL: null,
        udpConnectionRequestAddress: '192.0.2.1:7547',
        udpConnectionRequestAddressSeenAt: null,
        natDetected: null,
        connReqJabberID: null,
      });
      expect(await second.getDeviceType(type.id)).toEqual(type);
      expect(type.connectionRequestPolicy.stun).toBeNull();
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SqliteDeviceStore migration to connection-request routing', () => {
  it('dates old credentials by the device, gives devices no last poke and types the default policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-sqlite-migrate-'));
    try {
      const filename = join(dir, 'registry.db');
      const first = createSqliteDeviceStore({ filename });
      await first.upsertDevice({ id: 'OUI-PC-A', oui: 'OUI', productClass: 'PC', serialNumber: 'A', connectionRequestAuth: { username: 'cr', passwordSealed: 'v1.a.b.c' } }, 7);
      await first.upsertDevice({ id: 'OUI-PC-B', oui: 'OUI', productClass: 'PC', serialNumber: 'B' }, 8);
      const type = await first.createDeviceType({ name: 'gw' }, 9);
      await first.close();

      // Rewind the file to what version 2 wrote: documents without the new fields.
      const raw = new Database(filename);
      raw.exec(`UPDATE devices SET doc = json_remove(doc, '$.lastPoke', '$.connectionRequestAuth.updatedAt', '$.connectionRequestAuth.source')`);
      raw.exec(`UPDATE device_types SET doc = json_remove(doc, '$.connectionRequestPolicy', '$.connectionRequestAuth')`);
      raw.pragma('user_version = 2');
      expect(JSON.parse((raw.prepare(`SELECT doc FROM devices WHERE id = 'OUI-PC-A'`).get() as { doc: string }).doc).connectionRequestAuth).toEqual({
        username: 'cr',
        passwordSealed: 'v1.a.b.c',
      });
      raw.close();

      const second = createSqliteDeviceStore({ filename });
      expect(await second.getDevice('OUI-PC-A')).toMatchObject({ connectionRequestAuth: { username: 'cr', passwordSealed: 'v1.a.b.c', updatedAt: 7, source: null }, lastPoke: null });
      expect(await second.getDevice('OUI-PC-B')).toMatchObject({ connectionRequestAuth: null, lastPoke: null });
      // The migration wrote the default of its day (HTTP first); types created since put XMPP first.
      expect(await second.getDeviceType(type.id)).toEqual({ ...type, connectionRequestPolicy: { ...type.connectionRequestPolicy, transports: ['http', 'udp', 'xmpp'] } });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
