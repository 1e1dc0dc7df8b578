import { describe, expect, it } from '@jest/globals';
import { StoreConflictError } from '../device-store.js';
import type { DeviceStore } from '../device-store.js';
import { T0 } from './records.fixture.js';

/** The CredentialStore part of the DeviceStore contract (`store` is the running test's). */
export function credentialStoreContract(store: DeviceStore): void {
  describe('credentials', () => {
    it('finds device-scoped and type-scoped credentials by username', async () => {
      const type = await store.createDeviceType({ name: 'gw', match: { oui: '00259E' } }, T0);
      const dev = await store.createCredential(
        { username: 'cpe', scope: { kind: 'device', deviceId: '00259E-GW500-SN1' }, realm: 'acs', ha1: 'ha1-dev', basicHash: 'scrypt$dev' },
        T0,
      );
      const shared = await store.createCredential(
        { username: 'cpe', scope: { kind: 'deviceType', deviceTypeId: type.id }, realm: 'acs', ha1: 'ha1-type', basicHash: 'scrypt$type', status: 'active' },
        T0,
      );
      expect(dev.status).toBe('active');
      const found = await store.findCredentialsByUsername('cpe');
      expect(found.map((c) => c.ha1).sort()).toEqual(['ha1-dev', 'ha1-type']);
      expect(found.find((c) => c.id === shared.id)?.scope).toEqual({ kind: 'deviceType', deviceTypeId: type.id });
      expect(await store.findCredentialsByUsername('CPE')).toEqual([]);
      expect(await store.getCredential(dev.id)).toEqual(dev);
      expect((await store.listCredentials({ deviceTypeId: type.id })).map((c) => c.id)).toEqual([shared.id]);
      expect((await store.listCredentials({ deviceId: '00259E-GW500-SN1' })).map((c) => c.id)).toEqual([dev.id]);
      expect(await store.listCredentials()).toHaveLength(2);

      await expect(
        store.createCredential({ username: 'cpe', scope: { kind: 'device', deviceId: '00259E-GW500-SN1' }, realm: 'acs', ha1: 'x', basicHash: 'y' }, T0),
      ).rejects.toBeInstanceOf(StoreConflictError);
    });

    it('updates status (onboarding) and deletes', async () => {
      const cred = await store.createCredential(
        { username: 'gen-1', scope: { kind: 'device', deviceId: 'd1' }, realm: 'acs', ha1: 'a', basicHash: 'b', status: 'pending' },
        T0,
      );
      const active = await store.updateCredential(cred.id, { status: 'active', ha1: 'a2' }, T0 + 1);
      expect(active).toMatchObject({ status: 'active', ha1: 'a2', basicHash: 'b', updatedAt: T0 + 1, createdAt: T0 });
      expect((await store.findCredentialsByUsername('gen-1'))[0]?.status).toBe('active');
      expect(await store.updateCredential('missing', { status: 'disabled' }, T0)).toBeNull();
      expect(await store.deleteCredential(cred.id)).toBe(true);
      expect(await store.deleteCredential(cred.id)).toBe(false);
      expect(await store.getCredential(cred.id)).toBeNull();
    });
  });
}
