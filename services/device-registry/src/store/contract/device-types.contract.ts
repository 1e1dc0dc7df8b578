import { describe, expect, it } from '@jest/globals';
import { StoreConflictError, StoreValidationError } from '../device-store.js';
import type { DeviceStore } from '../device-store.js';
import { T0 } from './records.fixture.js';

/** The DeviceTypeStore part of the DeviceStore contract (`store` is the running test's). */
export function deviceTypeStoreContract(store: DeviceStore): void {
  describe('device types', () => {
    it('matches the most specific type: serial pattern > OUI+ProductClass > OUI only > catch-all', async () => {
      const catchAll = await store.createDeviceType({ name: 'any', catchAll: true, onboarding: true }, T0);
      const ouiOnly = await store.createDeviceType({ name: 'acme', match: { oui: '00259e' } }, T0);
      const model = await store.createDeviceType({ name: 'acme-gw500', match: { oui: '00259E', productClass: 'GW500' } }, T0);
      const batch = await store.createDeviceType({ name: 'acme-gw500-lab', match: { oui: '00259E', productClass: 'GW500', serialPattern: 'LAB.?*' } }, T0);

      expect((await store.matchDeviceType('00259E', 'GW500', 'LAB.42'))?.id).toBe(batch.id);
      // '.' in the glob is literal, not "any character".
      expect((await store.matchDeviceType('00259E', 'GW500', 'LABX42'))?.id).toBe(model.id);
      expect((await store.matchDeviceType('00259E', 'GW500', 'S1'))?.id).toBe(model.id);
      expect((await store.matchDeviceType('00259E', 'AP10', 'S1'))?.id).toBe(ouiOnly.id);
      expect((await store.matchDeviceType('001122', 'GW500', 'S1'))?.id).toBe(catchAll.id);
      expect(ouiOnly.match.oui).toBe('00259E');
      expect(catchAll.onboarding).toBe(true);
    });

    it('breaks ties by priority and returns null when nothing matches', async () => {
      expect(await store.matchDeviceType('00259E', 'GW500', 'S1')).toBeNull();
      await store.createDeviceType({ name: 'by-class', match: { productClass: 'GW500' }, priority: 1 }, T0);
      const preferred = await store.createDeviceType({ name: 'by-oui', match: { oui: '00259E' }, priority: 5 }, T0);
      expect((await store.matchDeviceType('00259E', 'GW500', 'S1'))?.id).toBe(preferred.id);
      await store.createDeviceType({ name: 'no-criteria', catchAll: false }, T0);
      expect(await store.matchDeviceType('FFFFFF', 'X', 'S1')).toBeNull();
    });

    it('gives every type the default connection-request policy, fills partial ones and keeps type-level credentials', async () => {
      const plain = await store.createDeviceType({ name: 'plain' }, T0);
      expect(plain.connectionRequestPolicy).toEqual({ transports: ['xmpp', 'http', 'udp'], deadlineMs: 30_000, allowBasicAuth: false, vpn: null, xmpp: null, stun: null });
      expect(plain.connectionRequestAuth).toBeNull();

      const vpn = { hostFromParameter: 'Device.X_VPN.IPAddress', egress: { localAddress: '10.8.0.1' } };
      const routed = await store.createDeviceType(
        { name: 'vpn-gw', connectionRequestPolicy: { transports: ['xmpp', 'http', 'xmpp'], vpn }, connectionRequestAuth: { username: 'type-cr', passwordSealed: 'v1.t.y.p' } },
        T0,
      );
      expect(routed.connectionRequestPolicy).toEqual({ transports: ['xmpp', 'http'], deadlineMs: 30_000, allowBasicAuth: false, vpn, xmpp: null, stun: null });
      expect(routed.connectionRequestAuth).toEqual({ username: 'type-cr', passwordSealed: 'v1.t.y.p', updatedAt: T0 });
      expect(await store.getDeviceType(routed.id)).toEqual(routed);

      // A patch replaces the policy (defaults again for what it leaves out) and the credentials.
      const patched = await store.updateDeviceType(routed.id, { connectionRequestPolicy: { deadlineMs: 5_000, allowBasicAuth: true }, connectionRequestAuth: { username: 'type-cr2', passwordSealed: 'v1.x.y.z' } }, T0 + 9);
      expect(patched?.connectionRequestPolicy).toEqual({ transports: ['xmpp', 'http', 'udp'], deadlineMs: 5_000, allowBasicAuth: true, vpn: null, xmpp: null, stun: null });
      expect(patched?.connectionRequestAuth).toEqual({ username: 'type-cr2', passwordSealed: 'v1.x.y.z', updatedAt: T0 + 9 });
      const renamed = await store.updateDeviceType(routed.id, { name: 'vpn-gw-2' }, T0 + 10);
      expect(renamed?.connectionRequestAuth?.updatedAt).toBe(T0 + 9);
      expect((await store.updateDeviceType(routed.id, { connectionRequestAuth: null }, T0 + 11))?.connectionRequestAuth).toBeNull();
      expect(await store.getDeviceType(routed.id)).toMatchObject({ name: 'vpn-gw-2', connectionRequestAuth: null, connectionRequestPolicy: { deadlineMs: 5_000 } });

      await expect(store.createDeviceType({ name: 'bad', connectionRequestPolicy: { deadlineMs: 0 } }, T0)).rejects.toBeInstanceOf(StoreValidationError);
      await expect(store.createDeviceType({ name: 'bad2', connectionRequestPolicy: { transports: ['smoke-signal' as 'http'] } }, T0)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    });

    it('stores a STUN set-up with defaults filled in, refuses keep-alive periods out of range, and clears it', async () => {
      const stun = await store.createDeviceType({ name: 'stun', connectionRequestPolicy: { stun: { maximumKeepAlivePeriod: 600 } } }, T0);
      expect(stun.connectionRequestPolicy.stun).toEqual({ requireAuth: true, minimumKeepAlivePeriod: 30, maximumKeepAlivePeriod: 600 });
      expect(await store.getDeviceType(stun.id)).toEqual(stun);
      const none = await store.updateDeviceType(stun.id, { connectionRequestPolicy: { stun: { requireAuth: false, minimumKeepAlivePeriod: 0, maximumKeepAlivePeriod: -1 } } }, T0 + 1);
      expect((await store.getDeviceType(stun.id))?.connectionRequestPolicy.stun).toEqual({ requireAuth: false, minimumKeepAlivePeriod: 0, maximumKeepAlivePeriod: -1 });
      expect(none?.connectionRequestPolicy.stun?.maximumKeepAlivePeriod).toBe(-1);
      expect((await store.updateDeviceType(stun.id, { connectionRequestPolicy: { stun: null } }, T0 + 2))?.connectionRequestPolicy.stun).toBeNull();
      for (const bad of [{ minimumKeepAlivePeriod: -1 }, { maximumKeepAlivePeriod: -2 }, { minimumKeepAlivePeriod: 60, maximumKeepAlivePeriod: 59 }, { minimumKeepAlivePeriod: 1.5 }]) {
        await expect(store.createDeviceType({ name: `bad-stun-${JSON.stringify(bad)}`, connectionRequestPolicy: { stun: bad } }, T0)).rejects.toBeInstanceOf(StoreValidationError);
      }
    });

    it('stores profiles and policies, updates, rejects duplicate names and deletes with credentials', async () => {
      const type = await store.createDeviceType(
        {
          name: 'gw',
          match: { productClass: 'GW500' },
          profile: [
            { path: 'Device.ManagementServer.PeriodicInformInterval', value: '300', type: 'xsd:unsignedInt' },
            { path: 'Device.ManagementServer.ConnectionRequestPassword', value: '{secret:connreq}', type: 'xsd:string' },
          ],
          connectionRequestCredentials: { mode: 'generate', usernameTemplate: 'cr-{serialNumber}', passwordLength: 20 },
        },
        T0,
      );
      expect(type).toMatchObject({ onboarding: true, catchAll: false, priority: 0 });
      expect(await store.getDeviceType(type.id)).toEqual(type);
      await expect(store.createDeviceType({ name: 'gw' }, T0)).rejects.toMatchObject({ name: 'StoreConflictError', code: 'CONFLICT' });

      const other = await store.createDeviceType({ name: 'ap' }, T0);
      const renamed = await store.updateDeviceType(type.id, { name: 'gw-500', onboarding: false }, T0 + 1);
      expect(renamed).toMatchObject({ name: 'gw-500', onboarding: false, updatedAt: T0 + 1, createdAt: T0 });
      expect(renamed?.profile).toHaveLength(2);
      await expect(store.updateDeviceType(other.id, { name: 'gw-500' }, T0 + 2)).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.updateDeviceType('missing', { priority: 1 }, T0)).toBeNull();
      expect((await store.listDeviceTypes()).map((t) => t.name)).toEqual(['ap', 'gw-500']);

      await store.createCredential({ username: 'shared', scope: { kind: 'deviceType', deviceTypeId: type.id }, realm: 'acs', ha1: 'h', basicHash: 'b' }, T0);
      expect(await store.deleteDeviceType(type.id)).toBe(true);
      expect(await store.getDeviceType(type.id)).toBeNull();
      expect(await store.findCredentialsByUsername('shared')).toEqual([]);
      expect(await store.deleteDeviceType(type.id)).toBe(false);
    });
  });
}
