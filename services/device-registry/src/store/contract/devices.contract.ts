import { describe, expect, it } from '@jest/globals';
import { StoreValidationError } from '../device-store.js';
import type { DeviceStore } from '../device-store.js';
import { T0, identity } from './records.fixture.js';

/** The DeviceRecords part of the DeviceStore contract (`store` is the running test's). */
export function deviceRecordsContract(store: DeviceStore): void {
  describe('devices', () => {
    it('creates, then updates in place, reporting which happened', async () => {
      const first = await store.upsertDevice(
        {
          ...identity('SN1'),
          manufacturer: 'Acme',
          softwareVersion: '1.0',
          lastInformAt: T0,
          sourceIp: '192.0.2.7',
          connectionRequest: { connectionRequestURL: 'http://192.0.2.7:7547/cr', natDetected: false },
        },
        T0,
      );
      expect(first.created).toBe(true);
      expect(first.device).toMatchObject({ id: '00259E-GW500-SN1', manufacturer: 'Acme', tags: [], createdAt: T0, hardwareVersion: null });

      const second = await store.upsertDevice(
        { ...identity('SN1'), softwareVersion: '1.1', sourceIp: null, lastInformAt: T0 + 60_000, connectionRequest: { connReqJabberID: 'cpe1@xmpp.example/ConnReq' } },
        T0 + 60_000,
      );
      expect(second.created).toBe(false);
      const stored = await store.getDevice('00259E-GW500-SN1');
      expect(stored).toEqual(second.device);
      expect(stored).toMatchObject({
        manufacturer: 'Acme', // absent in the update: kept
        softwareVersion: '1.1',
        sourceIp: null, // null in the update: cleared
        lastInformAt: T0 + 60_000,
        createdAt: T0,
        updatedAt: T0 + 60_000,
        connectionRequest: {
          connectionRequestURL: 'http://192.0.2.7:7547/cr',
          natDetected: false,
          connReqJabberID: 'cpe1@xmpp.example/ConnReq',
          udpConnectionRequestAddress: null,
          udpConnectionRequestAddressSeenAt: null,
        },
      });
    });

    it('keeps the UDP connection-request address with when it was heard, and clears both', async () => {
      await store.upsertDevice({ ...identity('SN9'), connectionRequest: { udpConnectionRequestAddress: '[2001:db8::7]:40123', udpConnectionRequestAddressSeenAt: T0 + 3 } }, T0 + 4);
      await store.upsertDevice({ ...identity('SN9'), lastInformAt: T0 + 5 }, T0 + 5);
      expect((await store.getDevice('00259E-GW500-SN9'))?.connectionRequest).toMatchObject({ udpConnectionRequestAddress: '[2001:db8::7]:40123', udpConnectionRequestAddressSeenAt: T0 + 3 });
      await store.upsertDevice({ ...identity('SN9'), connectionRequest: { udpConnectionRequestAddress: null, udpConnectionRequestAddressSeenAt: null } }, T0 + 6);
      expect((await store.getDevice('00259E-GW500-SN9'))?.connectionRequest).toMatchObject({ udpConnectionRequestAddress: null, udpConnectionRequestAddressSeenAt: null });
    });

    it('returns null for an unknown device', async () => {
      expect(await store.getDevice('nope')).toBeNull();
    });

    it('keeps connection-request auth and device type as given', async () => {
      await store.upsertDevice({ ...identity('SN2'), deviceTypeId: 'type-1', connectionRequestAuth: { username: 'cr', passwordSealed: 'v1.a.b.c' } }, T0);
      await store.upsertDevice({ ...identity('SN2'), lastBootAt: T0 + 5 }, T0 + 5);
      expect(await store.getDevice('00259E-GW500-SN2')).toMatchObject({
        deviceTypeId: 'type-1',
        connectionRequestAuth: { username: 'cr', passwordSealed: 'v1.a.b.c' },
        lastBootAt: T0 + 5,
        lastBootstrapAt: null,
      });
    });

    it('dates connection-request credentials and keeps who set them', async () => {
      const id = '00259E-GW500-CR1';
      const created = await store.upsertDevice({ ...identity('CR1'), connectionRequestAuth: { username: 'cr', passwordSealed: 'v1.a.b.c' } }, T0);
      // Unsaid: dated by the write, source unknown.
      expect(created.device.connectionRequestAuth).toEqual({ username: 'cr', passwordSealed: 'v1.a.b.c', updatedAt: T0, source: null });
      await store.upsertDevice({ ...identity('CR1'), connectionRequestAuth: { username: 'cr2', passwordSealed: 'v1.d.e.f', source: 'nbi' } }, T0 + 10);
      expect((await store.getDevice(id))?.connectionRequestAuth).toEqual({ username: 'cr2', passwordSealed: 'v1.d.e.f', updatedAt: T0 + 10, source: 'nbi' });
      // An explicit time (e.g. when the profile that set them was applied) is kept; a later inform leaves them alone.
      await store.upsertDevice({ ...identity('CR1'), connectionRequestAuth: { username: 'cr3', passwordSealed: 'v1.g.h.i', source: 'profile', updatedAt: T0 + 5 } }, T0 + 20);
      await store.upsertDevice({ ...identity('CR1'), lastInformAt: T0 + 30 }, T0 + 30);
      expect((await store.getDevice(id))?.connectionRequestAuth).toEqual({ username: 'cr3', passwordSealed: 'v1.g.h.i', updatedAt: T0 + 5, source: 'profile' });
    });

    it('remembers the last poke without touching anything else', async () => {
      const id = '00259E-GW500-PK1';
      const { device } = await store.upsertDevice({ ...identity('PK1'), sourceIp: '192.0.2.9' }, T0);
      expect(device.lastPoke).toBeNull();
      const poked = await store.recordPoke(id, { requestId: 'req-1', at: T0 + 50 });
      expect(poked).toEqual({ ...device, lastPoke: { requestId: 'req-1', at: T0 + 50 } });
      await store.recordPoke(id, { requestId: 'req-2', at: T0 + 60 });
      // An inform in between keeps it.
      await store.upsertDevice({ ...identity('PK1'), lastInformAt: T0 + 70 }, T0 + 70);
      expect(await store.getDevice(id)).toMatchObject({ lastPoke: { requestId: 'req-2', at: T0 + 60 }, updatedAt: T0 + 70, sourceIp: '192.0.2.9' });
      expect(await store.recordPoke('unknown', { requestId: 'req-3', at: T0 })).toBeNull();
      expect(await store.getDevice('unknown')).toBeNull();
    });

    it('adds and removes tags (sorted, unique) and filters by them', async () => {
      await store.upsertDevice(identity('A'), T0);
      await store.upsertDevice(identity('B'), T0);
      expect((await store.addTags('00259E-GW500-A', ['lab', 'beta', 'lab'], T0 + 1))?.tags).toEqual(['beta', 'lab']);
      await store.addTags('00259E-GW500-B', ['lab'], T0 + 1);
      expect((await store.listDevices({ tags: ['lab'] })).items.map((d) => d.id)).toEqual(['00259E-GW500-A', '00259E-GW500-B']);
      expect((await store.listDevices({ tags: ['lab', 'beta'] })).items.map((d) => d.id)).toEqual(['00259E-GW500-A']);
      const after = await store.removeTags('00259E-GW500-A', ['lab', 'absent'], T0 + 2);
      expect(after?.tags).toEqual(['beta']);
      expect(after?.updatedAt).toBe(T0 + 2);
      expect((await store.listDevices({ tags: ['lab'] })).items.map((d) => d.id)).toEqual(['00259E-GW500-B']);
      expect(await store.addTags('unknown', ['x'], T0)).toBeNull();
      expect(await store.removeTags('unknown', ['x'], T0)).toBeNull();
      // A later inform does not drop tags.
      await store.upsertDevice({ ...identity('A'), lastInformAt: T0 + 3 }, T0 + 3);
      expect((await store.getDevice('00259E-GW500-A'))?.tags).toEqual(['beta']);
    });

    it('lists with filters, paging and a parameter projection', async () => {
      const seed: [string, string, number | null][] = [
        ['S1', 'GW500', T0],
        ['S2', 'GW500', T0 + 1_000],
        ['S3', 'GW500', T0 + 2_000],
        ['S4', 'AP10', T0 + 3_000],
        ['S5', 'AP10', null],
      ];
      for (const [serial, pc, at] of seed) {
        await store.upsertDevice({ ...identity(serial, pc), lastInformAt: at }, T0);
        await store.upsertParameters(
          `00259E-${pc}-${serial}`,
          [
            { path: 'Device.DeviceInfo.SoftwareVersion', value: `fw-${serial}` },
            { path: 'Device.DeviceInfo.UpTime', value: '5' },
            { path: 'Device.ManagementServer.URL', value: 'https://acs.example.net/cwmp/' },
          ],
          T0,
        );
      }

      const all = await store.listDevices({});
      expect(all.total).toBe(5);
      expect(all.items.map((d) => d.serialNumber)).toEqual(['S4', 'S5', 'S1', 'S2', 'S3']); // ordered by id
      expect(all.items[0]).not.toHaveProperty('parameters');

      const gw = await store.listDevices({ productClass: 'GW500' }, { limit: 2, offset: 1 });
      expect(gw.total).toBe(3);
      expect(gw.items.map((d) => d.serialNumber)).toEqual(['S2', 'S3']);

      expect((await store.listDevices({ serialNumber: 'S4' })).items.map((d) => d.id)).toEqual(['00259E-AP10-S4']);
      expect((await store.listDevices({ ids: ['00259E-AP10-S5', '00259E-GW500-S1', 'missing'] })).total).toBe(2);
      expect((await store.listDevices({ oui: 'FFFFFF' })).total).toBe(0);

      const recent = await store.listDevices({ lastInformFrom: T0 + 1_000, lastInformBefore: T0 + 3_000 });
      expect(recent.items.map((d) => d.serialNumber)).toEqual(['S2', 'S3']);
      expect((await store.listDevices({ lastInformBefore: T0 + 1 })).items.map((d) => d.serialNumber)).toEqual(['S1']);

      const projected = await store.listDevices({ productClass: 'AP10' }, { projection: ['Device.DeviceInfo.SoftwareVersion', 'Device.ManagementServer.'] });
      expect(projected.items).toHaveLength(2);
      expect(projected.items[0]?.parameters?.map((p) => [p.path, p.value])).toEqual([
        ['Device.DeviceInfo.SoftwareVersion', 'fw-S4'],
        ['Device.ManagementServer.URL', 'https://acs.example.net/cwmp/'],
      ]);

      await expect(store.listDevices({}, { limit: 0 })).rejects.toBeInstanceOf(StoreValidationError);
      await expect(store.listDevices({}, { offset: -1 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    });

    it('deletes a device with its parameters, tasks, faults and device credentials', async () => {
      const id = '00259E-GW500-DEL';
      await store.upsertDevice(identity('DEL'), T0);
      await store.upsertDevice(identity('KEEP'), T0);
      await store.upsertParameters(id, [{ path: 'Device.DeviceInfo.UpTime', value: '1' }], T0);
      await store.upsertParameters('00259E-GW500-KEEP', [{ path: 'Device.DeviceInfo.UpTime', value: '2' }], T0);
      const [task] = await store.createTasks(id, [{ type: 'reboot', args: { commandKey: 'r1' } }], T0);
      const keptTask = await store.createTasks('00259E-GW500-KEEP', [{ type: 'factoryReset', args: {} }], T0);
      await store.recordFault({ deviceId: id, taskId: task?.id ?? null, code: '9002', message: 'Internal error' }, T0);
      const type = await store.createDeviceType({ name: 'gw', match: { productClass: 'GW500' } }, T0);
      await store.createCredential({ username: 'cpe-del', scope: { kind: 'device', deviceId: id }, realm: 'acs', ha1: 'h', basicHash: 'b' }, T0);
      await store.createCredential({ username: 'shared', scope: { kind: 'deviceType', deviceTypeId: type.id }, realm: 'acs', ha1: 'h', basicHash: 'b' }, T0);

      expect(await store.deleteDevice(id)).toBe(true);
      expect(await store.getDevice(id)).toBeNull();
      expect(await store.getParameters(id)).toEqual([]);
      expect(await store.getTask(task?.id ?? '')).toBeNull();
      expect((await store.listFaults({ deviceId: id })).total).toBe(0);
      expect(await store.findCredentialsByUsername('cpe-del')).toEqual([]);
      expect(await store.findCredentialsByUsername('shared')).toHaveLength(1);
      // The neighbour is untouched.
      expect(await store.getParameters('00259E-GW500-KEEP')).toHaveLength(1);
      expect(await store.getTask(keptTask[0]?.id ?? '')).not.toBeNull();
      expect(await store.deleteDevice(id)).toBe(false);
    });
  });
}
