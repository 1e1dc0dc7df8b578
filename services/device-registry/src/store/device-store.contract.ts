import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StoreConflictError, StoreNotFoundError, StoreValidationError } from './device-store.js';
import type { DeviceStore } from './device-store.js';
import type { DeviceUpsert, Parameter, ParameterUpdate } from './types.js';

const T0 = Date.UTC(2026, 0, 1);

function identity(serial: string, productClass = 'GW500', oui = '00259E'): DeviceUpsert {
  return { id: `${oui}-${productClass}-${serial}`, oui, productClass, serialNumber: serial };
}

const byPath = (params: Parameter[]) => new Map(params.map((p) => [p.path, p]));

/**
 * The behaviour every DeviceStore adapter must show. `makeStore` returns a store over a fresh,
 * empty database each time; the suite closes it after each test.
 */
export function describeDeviceStoreContract(name: string, makeStore: () => Promise<DeviceStore>): void {
  describe(`DeviceStore contract: ${name}`, () => {
    let store: DeviceStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

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
          },
        });
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

    describe('parameters', () => {
      const dev = '00259E-GW500-P1';
      beforeEach(async () => {
        await store.upsertDevice(identity('P1'), T0);
      });

      it('updates 1,000 parameters in place, keeping untouched ones and their readAt', async () => {
        const initial: ParameterUpdate[] = Array.from({ length: 1_000 }, (_, i) => ({
          path: `Device.Hosts.Host.${i + 1}.IPAddress`,
          value: `10.0.${Math.floor(i / 250)}.${i % 250}`,
          type: 'xsd:string',
          writable: false,
        }));
        await store.upsertParameters(dev, initial, T0);
        expect(await store.getParameters(dev)).toHaveLength(1_000);

        // Every tenth parameter gets a new value (no type given), one only its attributes.
        const changed = initial.filter((_, i) => i % 10 === 0).map((u) => ({ path: u.path, value: `new-${u.path}` }));
        const attrs: ParameterUpdate[] = [{ path: 'Device.Hosts.Host.2.IPAddress', notification: 2, accessList: ['Subscriber'] }];
        await store.upsertParameters(dev, [...changed, ...attrs], T0 + 10_000);

        const params = byPath(await store.getParameters(dev));
        expect(params.size).toBe(1_000);
        expect(params.get('Device.Hosts.Host.1.IPAddress')).toEqual({
          path: 'Device.Hosts.Host.1.IPAddress',
          value: 'new-Device.Hosts.Host.1.IPAddress',
          type: 'xsd:string', // kept from the first write
          writable: false,
          object: false,
          notification: null,
          accessList: null,
          readAt: T0 + 10_000,
        });
        expect(params.get('Device.Hosts.Host.2.IPAddress')).toMatchObject({ value: '10.0.0.1', readAt: T0, notification: 2, accessList: ['Subscriber'] });
        expect(params.get('Device.Hosts.Host.1000.IPAddress')).toMatchObject({ value: '10.0.3.249', readAt: T0 });
        const fresh = [...params.values()].filter((p) => p.readAt === T0 + 10_000);
        expect(fresh).toHaveLength(100);
      });

      it('records names from GetParameterNames without values, objects by their trailing dot', async () => {
        await store.upsertParameters(
          dev,
          [
            { path: 'Device.WiFi.SSID.1.', writable: false },
            { path: 'Device.WiFi.SSID.1.SSID', writable: true },
          ],
          T0,
        );
        const params = byPath(await store.getParameters(dev, 'Device.WiFi.'));
        expect(params.get('Device.WiFi.SSID.1.')).toMatchObject({ object: true, writable: false, value: null, readAt: null });
        expect(params.get('Device.WiFi.SSID.1.SSID')).toMatchObject({ object: false, writable: true, value: null, readAt: null });
        await store.upsertParameters(dev, [{ path: 'Device.WiFi.SSID.1.SSID', value: 'home', type: 'xsd:string' }], T0 + 1);
        expect(byPath(await store.getParameters(dev, 'Device.WiFi.SSID.1.SSID')).get('Device.WiFi.SSID.1.SSID')).toMatchObject({
          writable: true,
          value: 'home',
          readAt: T0 + 1,
        });
      });

      it('keeps names with characters a document database reserves, and merges one path given twice field by field', async () => {
        const odd = ['Device.X_$Vendor.Value', 'Device.X_100%.Value', 'Device.X_100%2e.Value', '$Device.Leading', 'Device.Empty..Name'];
        await store.upsertParameters(dev, odd.map((path) => ({ path, value: path })), T0);
        await store.upsertParameters(dev, [{ path: 'Device.NameOnly' }], T0);
        await store.upsertParameters(dev, [{ path: 'Device.Twice', value: 'first', type: 'xsd:string' }, { path: 'Device.Twice', value: 'second' }], T0);
        const params = byPath(await store.getParameters(dev));
        for (const path of odd) expect(params.get(path)).toMatchObject({ path, value: path });
        expect(params.get('Device.NameOnly')).toEqual({ path: 'Device.NameOnly', value: null, type: null, writable: null, object: false, notification: null, accessList: null, readAt: null });
        expect(params.get('Device.Twice')).toMatchObject({ value: 'second', type: 'xsd:string' });
        expect((await store.getParameters(dev, 'Device.X_100%')).map((p) => p.path)).toEqual(['Device.X_100%.Value']);
        expect(await store.deleteParameterSubtree(dev, 'Device.X_$Vendor.')).toBe(1);
        expect(byPath(await store.getParameters(dev)).has('Device.X_$Vendor.Value')).toBe(false);
      });

      it('refuses parameters for an unknown device', async () => {
        await expect(store.upsertParameters('missing', [{ path: 'Device.X', value: '1' }], T0)).rejects.toBeInstanceOf(StoreNotFoundError);
      });

      const tricky = [
        'Device.IP.InterfaceNumberOfEntries',
        'Device.IP.Interface.1.',
        'Device.IP.Interface.1.Name',
        'Device.IP.Interface.1.IPv4Address.1.IPAddress',
        'Device.IP.Interface.10.',
        'Device.IP.Interface.10.Name',
        'Device.IP.Interface.2.Name',
        'Device.X_(a+b)*.Value',
        'Device.X_(a+b)*Other.Value',
        'Device.XaaaValue',
      ];

      it('reads subtrees by partial path without matching sibling prefixes or regex metacharacters', async () => {
        await store.upsertParameters(dev, tricky.map((path) => ({ path, value: 'v' })), T0);
        const paths = async (prefix?: string) => (await store.getParameters(dev, prefix)).map((p) => p.path);

        expect(await paths('Device.IP.Interface.1.')).toEqual(['Device.IP.Interface.1.', 'Device.IP.Interface.1.IPv4Address.1.IPAddress', 'Device.IP.Interface.1.Name']);
        expect(await paths('Device.IP.Interface.1')).toEqual(await paths('Device.IP.Interface.1.'));
        expect(await paths('Device.IP.Interface.1.Name')).toEqual(['Device.IP.Interface.1.Name']);
        expect(await paths('Device.IP.Interface')).toHaveLength(6);
        expect(await paths('Device.X_(a+b)*.')).toEqual(['Device.X_(a+b)*.Value']);
        expect(await paths('Device.X_(a+b)*')).toEqual(['Device.X_(a+b)*.Value']);
        expect(await paths('Device.X.*')).toEqual([]);
        expect(await paths('Device.Nothing.')).toEqual([]);
        expect(await paths()).toHaveLength(tricky.length);
        expect(await paths('')).toHaveLength(tricky.length);
        expect(await store.getParameters('other-device')).toEqual([]);
      });

      it('deletes a subtree after DeleteObject', async () => {
        await store.upsertParameters(dev, tricky.map((path) => ({ path, value: 'v' })), T0);
        expect(await store.deleteParameterSubtree(dev, 'Device.IP.Interface.1.')).toBe(3);
        const left = (await store.getParameters(dev)).map((p) => p.path);
        expect(left).toContain('Device.IP.Interface.10.Name');
        expect(left).toContain('Device.IP.InterfaceNumberOfEntries');
        expect(left.some((p) => p.startsWith('Device.IP.Interface.1.'))).toBe(false);
        expect(await store.deleteParameterSubtree(dev, 'Device.X_(a+b)*.')).toBe(1);
        expect(await store.getParameters(dev, 'Device.X_(a+b)*Other.')).toHaveLength(1);
        expect(await store.deleteParameterSubtree(dev, 'Device.IP.Interface.1.')).toBe(0);
      });

      it('prunes instances a GetParameterNames no longer lists', async () => {
        await store.upsertParameters(dev, tricky.map((path) => ({ path, value: 'v' })), T0);
        // NextLevel=true answer: the instances that still exist.
        const removed = await store.pruneMissingInstances(dev, 'Device.IP.Interface.', ['Device.IP.Interface.1.', 'Device.IP.Interface.10.']);
        expect(removed).toBe(1);
        expect((await store.getParameters(dev, 'Device.IP.Interface.')).map((p) => p.path)).toEqual([
          'Device.IP.Interface.1.',
          'Device.IP.Interface.1.IPv4Address.1.IPAddress',
          'Device.IP.Interface.1.Name',
          'Device.IP.Interface.10.',
          'Device.IP.Interface.10.Name',
        ]);
        // NextLevel=false answer: deep names count by their first segment below the parent.
        expect(await store.pruneMissingInstances(dev, 'Device.IP.Interface.', ['Device.IP.Interface.', 'Device.IP.Interface.10.Name'])).toBe(3);
        expect((await store.getParameters(dev, 'Device.IP.')).map((p) => p.path)).toEqual([
          'Device.IP.Interface.10.',
          'Device.IP.Interface.10.Name',
          'Device.IP.InterfaceNumberOfEntries',
        ]);
        await expect(store.pruneMissingInstances(dev, 'Device.IP.Interface', [])).rejects.toBeInstanceOf(StoreValidationError);
      });
    });

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
        expect(plain.connectionRequestPolicy).toEqual({ transports: ['http', 'udp', 'xmpp'], deadlineMs: 30_000, allowBasicAuth: false, vpn: null });
        expect(plain.connectionRequestAuth).toBeNull();

        const vpn = { hostFromParameter: 'Device.X_VPN.IPAddress', egress: { localAddress: '10.8.0.1' } };
        const routed = await store.createDeviceType(
          { name: 'vpn-gw', connectionRequestPolicy: { transports: ['xmpp', 'http', 'xmpp'], vpn }, connectionRequestAuth: { username: 'type-cr', passwordSealed: 'v1.t.y.p' } },
          T0,
        );
        expect(routed.connectionRequestPolicy).toEqual({ transports: ['xmpp', 'http'], deadlineMs: 30_000, allowBasicAuth: false, vpn });
        expect(routed.connectionRequestAuth).toEqual({ username: 'type-cr', passwordSealed: 'v1.t.y.p', updatedAt: T0 });
        expect(await store.getDeviceType(routed.id)).toEqual(routed);

        // A patch replaces the policy (defaults again for what it leaves out) and the credentials.
        const patched = await store.updateDeviceType(routed.id, { connectionRequestPolicy: { deadlineMs: 5_000, allowBasicAuth: true }, connectionRequestAuth: { username: 'type-cr2', passwordSealed: 'v1.x.y.z' } }, T0 + 9);
        expect(patched?.connectionRequestPolicy).toEqual({ transports: ['http', 'udp', 'xmpp'], deadlineMs: 5_000, allowBasicAuth: true, vpn: null });
        expect(patched?.connectionRequestAuth).toEqual({ username: 'type-cr2', passwordSealed: 'v1.x.y.z', updatedAt: T0 + 9 });
        const renamed = await store.updateDeviceType(routed.id, { name: 'vpn-gw-2' }, T0 + 10);
        expect(renamed?.connectionRequestAuth?.updatedAt).toBe(T0 + 9);
        expect((await store.updateDeviceType(routed.id, { connectionRequestAuth: null }, T0 + 11))?.connectionRequestAuth).toBeNull();
        expect(await store.getDeviceType(routed.id)).toMatchObject({ name: 'vpn-gw-2', connectionRequestAuth: null, connectionRequestPolicy: { deadlineMs: 5_000 } });

        await expect(store.createDeviceType({ name: 'bad', connectionRequestPolicy: { deadlineMs: 0 } }, T0)).rejects.toBeInstanceOf(StoreValidationError);
        await expect(store.createDeviceType({ name: 'bad2', connectionRequestPolicy: { transports: ['smoke-signal' as 'http'] } }, T0)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
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

    describe('tasks', () => {
      const dev = '00259E-GW500-T1';
      beforeEach(async () => {
        await store.upsertDevice(identity('T1'), T0);
        await store.upsertDevice(identity('T2'), T0);
      });

      it('queues per device in order and keeps typed arguments', async () => {
        const first = await store.createTasks(
          dev,
          [
            { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.'] } },
            { type: 'setParameterValues', args: { parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'home', type: 'xsd:string' }], parameterKey: 'k1' } },
          ],
          T0,
        );
        await store.createTasks('00259E-GW500-T2', [{ type: 'reboot', args: {} }], T0);
        const second = await store.createTasks(
          dev,
          [
            {
              type: 'download',
              args: { commandKey: 'fw', fileType: '1 Firmware Upgrade Image', url: 'https://files.example.net/fw.bin', fileSize: 123, delaySeconds: 0 },
              expiresAt: T0 + 60_000,
              maxAttempts: 5,
            },
          ],
          T0,
        );
        const seqs = [...first, ...second].map((t) => t.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(3);
        expect(await store.getTask(second[0]?.id ?? '')).toEqual(second[0]);
        expect(second[0]).toMatchObject({ status: 'pending', attempts: 0, maxAttempts: 5, expiresAt: T0 + 60_000, fault: null, result: null });
        const listed = await store.listTasks({ deviceId: dev });
        expect(listed.total).toBe(3);
        expect(listed.items.map((t) => t.type)).toEqual(['getParameterValues', 'setParameterValues', 'download']);
        const task = listed.items[2];
        if (task?.type !== 'download') throw new Error('expected the download task');
        expect(task.args.url).toBe('https://files.example.net/fw.bin');
        expect((await store.listTasks({}, { limit: 2 })).items).toHaveLength(2);
        expect((await store.listTasks({ status: ['pending'] })).total).toBe(4);

        await expect(store.createTasks('missing', [{ type: 'reboot', args: {} }], T0)).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.createTasks(dev, [{ id: first[0]?.id, type: 'reboot', args: {} }], T0)).rejects.toBeInstanceOf(StoreConflictError);
      });

      it('lists the open tasks of one device in queue order as they start, finish and come back', async () => {
        const ids = async () => (await store.openTasks(dev)).map((t) => `${t.type}:${t.status}`);
        expect(await store.openTasks(dev)).toEqual([]);
        expect(await store.openTasks('missing')).toEqual([]);
        const [a, b, c, d] = await store.createTasks(
          dev,
          [
            { type: 'reboot', args: {} },
            { type: 'getRPCMethods', args: {} },
            { type: 'factoryReset', args: {} },
            { type: 'scheduleInform', args: { delaySeconds: 1, commandKey: 'x' }, expiresAt: T0 + 10 },
          ],
          T0,
        );
        await store.createTasks('00259E-GW500-T2', [{ type: 'reboot', args: {} }], T0);
        if (!a || !b || !c || !d) throw new Error('expected four tasks');
        // A duplicate id is refused and leaves the queue as it was.
        await expect(store.createTasks(dev, [{ id: a.id, type: 'reboot', args: {} }], T0)).rejects.toBeInstanceOf(StoreConflictError);
        expect(await ids()).toEqual(['reboot:pending', 'getRPCMethods:pending', 'factoryReset:pending', 'scheduleInform:pending']);

        await store.claimTask(a.id, T0 + 1);
        await store.claimTask(b.id, T0 + 1);
        await store.completeTask(b.id, null, T0 + 2);
        await store.cancelTask(c.id, T0 + 2);
        expect(await store.expireTasks(T0 + 20)).toBe(1);
        expect(await ids()).toEqual(['reboot:running']);

        expect(await store.requeueTask(c.id, T0 + 3)).toMatchObject({ status: 'pending' });
        await store.releaseTask(a.id, T0 + 3);
        expect(await ids()).toEqual(['reboot:pending', 'factoryReset:pending']);
        expect((await store.openTasks('00259E-GW500-T2')).map((t) => t.type)).toEqual(['reboot']);
      });

      it('runs the oldest pending task: claim once, complete, then the next', async () => {
        const [a, b] = await store.createTasks(
          dev,
          [
            { type: 'getRPCMethods', args: {} },
            { type: 'scheduleInform', args: { delaySeconds: 5, commandKey: 'si' } },
          ],
          T0,
        );
        expect((await store.nextRunnableTask(dev, T0))?.id).toBe(a?.id);
        const claimed = await store.claimTask(a?.id ?? '', T0 + 1);
        expect(claimed).toMatchObject({ status: 'running', attempts: 1, startedAt: T0 + 1 });
        expect(await store.claimTask(a?.id ?? '', T0 + 2)).toBeNull();
        expect((await store.nextRunnableTask(dev, T0 + 2))?.id).toBe(b?.id);
        const done = await store.completeTask(a?.id ?? '', { methodList: ['Inform', 'GetRPCMethods'] }, T0 + 3);
        expect(done).toMatchObject({ status: 'done', result: { methodList: ['Inform', 'GetRPCMethods'] }, finishedAt: T0 + 3 });
        expect(await store.completeTask(a?.id ?? '', null, T0 + 4)).toBeNull();
        expect(await store.claimTask('missing', T0)).toBeNull();

        // A session that ended early gives the task back.
        expect(await store.claimTask(b?.id ?? '', T0 + 5, { sessionId: 's1', phase: 'rpc' })).toMatchObject({ status: 'running', progress: { sessionId: 's1', phase: 'rpc' } });
        expect((await store.getTask(b?.id ?? ''))?.progress).toEqual({ sessionId: 's1', phase: 'rpc' });
        expect(await store.nextRunnableTask(dev, T0 + 5)).toBeNull();
        expect(await store.releaseTask(b?.id ?? '', T0 + 6)).toMatchObject({ status: 'pending', attempts: 1 });
        expect((await store.nextRunnableTask(dev, T0 + 6))?.id).toBe(b?.id);
        expect(await store.nextRunnableTask('00259E-GW500-T2', T0)).toBeNull();
      });

      it('runs higher priority first, queue order within a priority', async () => {
        const [a, b] = await store.createTasks(
          dev,
          [
            { type: 'reboot', args: { commandKey: 'a' } },
            { type: 'reboot', args: { commandKey: 'b' } },
          ],
          T0,
        );
        const [urgent] = await store.createTasks(dev, [{ type: 'setParameterValues', args: { parameterList: [] }, priority: 10 }], T0 + 1);
        expect(urgent?.priority).toBe(10);
        expect(a?.priority).toBe(0);
        expect((await store.nextRunnableTask(dev, T0 + 2))?.id).toBe(urgent?.id);
        await store.claimTask(urgent?.id ?? '', T0 + 2);
        expect((await store.nextRunnableTask(dev, T0 + 2))?.id).toBe(a?.id);
        await store.cancelTask(a?.id ?? '', T0 + 3);
        expect((await store.nextRunnableTask(dev, T0 + 3))?.id).toBe(b?.id);
        // Listing stays in queue order.
        expect((await store.listTasks({ deviceId: dev })).items.map((t) => t.id)).toEqual([a?.id, b?.id, urgent?.id]);
      });

      it('records progress only on a running task and keeps it across a release', async () => {
        const [t] = await store.createTasks(dev, [{ type: 'refresh', args: { path: 'Device.WiFi.' }, maxAttempts: 1 }], T0);
        const id = t?.id ?? '';
        expect(t?.progress).toBeNull();
        expect(await store.setTaskProgress(id, { phase: 'names' }, T0 + 1)).toBeNull();
        await store.claimTask(id, T0 + 1);
        expect(await store.setTaskProgress(id, { phase: 'values', remaining: ['Device.WiFi.SSID.1.'] }, T0 + 2)).toMatchObject({
          status: 'running',
          progress: { phase: 'values', remaining: ['Device.WiFi.SSID.1.'] },
          updatedAt: T0 + 2,
        });
        await store.releaseTask(id, T0 + 3);
        expect((await store.getTask(id))?.progress).toEqual({ phase: 'values', remaining: ['Device.WiFi.SSID.1.'] });
        await store.claimTask(id, T0 + 4);
        await store.failTask(id, { code: '9002', message: 'Internal error' }, T0 + 5);
        expect(await store.requeueTask(id, T0 + 6)).toMatchObject({ status: 'pending', progress: null });
        expect(await store.setTaskProgress('missing', null, T0)).toBeNull();
      });

      it('retries a faulted task up to its cap, then keeps the fault', async () => {
        const [t] = await store.createTasks(dev, [{ type: 'addObject', args: { objectName: 'Device.IP.Interface.' }, maxAttempts: 2 }], T0);
        const id = t?.id ?? '';
        await store.claimTask(id, T0 + 1);
        const retry = await store.failTask(id, { code: '9002', message: 'Internal error' }, T0 + 2);
        expect(retry).toMatchObject({ status: 'pending', attempts: 1, fault: { code: '9002', message: 'Internal error' }, finishedAt: null });
        await store.claimTask(id, T0 + 3);
        const final = await store.failTask(id, { code: '9005', message: 'Invalid parameter name' }, T0 + 4);
        expect(final).toMatchObject({ status: 'fault', attempts: 2, fault: { code: '9005' }, finishedAt: T0 + 4 });
        expect(await store.nextRunnableTask(dev, T0 + 5)).toBeNull();
        expect(await store.failTask(id, { code: '9002', message: 'x' }, T0 + 5)).toBeNull();
        const again = await store.requeueTask(id, T0 + 6);
        expect(again).toMatchObject({ status: 'pending', attempts: 0, fault: null });
        expect(await store.requeueTask(id, T0 + 7)).toBeNull();
      });

      it('skips and expires tasks past their expiry', async () => {
        const [stale, fresh] = await store.createTasks(
          dev,
          [
            { type: 'reboot', args: { commandKey: 'old' }, expiresAt: T0 + 1_000 },
            { type: 'reboot', args: { commandKey: 'new' }, expiresAt: T0 + 100_000 },
          ],
          T0,
        );
        expect((await store.nextRunnableTask(dev, T0 + 999))?.id).toBe(stale?.id);
        expect((await store.nextRunnableTask(dev, T0 + 1_000))?.id).toBe(fresh?.id);
        expect(await store.claimTask(stale?.id ?? '', T0 + 1_000)).toBeNull();
        expect(await store.expireTasks(T0 + 1_000)).toBe(1);
        expect(await store.getTask(stale?.id ?? '')).toMatchObject({ status: 'cancelled', cancelReason: 'expired', finishedAt: T0 + 1_000 });
        expect(await store.getTask(fresh?.id ?? '')).toMatchObject({ status: 'pending' });
        expect(await store.expireTasks(T0 + 1_000)).toBe(0);
      });

      it('cancels pending and running tasks, leaves finished ones alone', async () => {
        const [a, b, c] = await store.createTasks(
          dev,
          [
            { type: 'factoryReset', args: {} },
            { type: 'getParameterNames', args: { parameterPath: 'Device.', nextLevel: true } },
            { type: 'refresh', args: { path: 'Device.WiFi.' } },
          ],
          T0,
        );
        expect(await store.cancelTask(a?.id ?? '', T0 + 1)).toMatchObject({ status: 'cancelled', cancelReason: 'user' });
        await store.claimTask(b?.id ?? '', T0 + 2);
        expect(await store.cancelTask(b?.id ?? '', T0 + 3)).toMatchObject({ status: 'cancelled' });
        await store.claimTask(c?.id ?? '', T0 + 4);
        await store.completeTask(c?.id ?? '', null, T0 + 5);
        expect(await store.cancelTask(c?.id ?? '', T0 + 6)).toMatchObject({ status: 'done', updatedAt: T0 + 5 });
        expect(await store.cancelTask('missing', T0)).toBeNull();
        expect(await store.nextRunnableTask(dev, T0 + 7)).toBeNull();
        expect((await store.listTasks({ status: ['cancelled'] })).total).toBe(2);
      });
    });

    describe('faults', () => {
      it('records, lists newest first, retries (requeueing the task) and clears', async () => {
        await store.upsertDevice(identity('F1'), T0);
        const dev = '00259E-GW500-F1';
        const [task] = await store.createTasks(dev, [{ type: 'deleteObject', args: { objectName: 'Device.IP.Interface.3.' }, maxAttempts: 1 }], T0);
        await store.claimTask(task?.id ?? '', T0);
        await store.failTask(task?.id ?? '', { code: '9005', message: 'Invalid parameter name' }, T0 + 1);
        const f1 = await store.recordFault({ deviceId: dev, taskId: task?.id, code: '9005', message: 'Invalid parameter name', detail: { objectName: 'Device.IP.Interface.3.' } }, T0 + 1);
        const f2 = await store.recordFault({ deviceId: dev, code: 'session_timeout', message: 'CPE stopped answering' }, T0 + 2);
        await store.recordFault({ deviceId: 'other', code: '9002', message: 'Internal error' }, T0 + 3);

        expect(await store.getFault(f1.id)).toEqual(f1);
        expect(f2).toMatchObject({ taskId: null, detail: null, retries: 0 });
        const listed = await store.listFaults({ deviceId: dev });
        expect(listed.total).toBe(2);
        expect(listed.items.map((f) => f.id)).toEqual([f2.id, f1.id]);
        expect((await store.listFaults({}, { limit: 1 })).items.map((f) => f.deviceId)).toEqual(['other']);
        expect((await store.listFaults({ taskId: task?.id ?? '' })).items.map((f) => f.id)).toEqual([f1.id]);

        expect(await store.getTask(task?.id ?? '')).toMatchObject({ status: 'fault' });
        const retried = await store.retryFault(f1.id, T0 + 10);
        expect(retried).toMatchObject({ retries: 1, updatedAt: T0 + 10 });
        expect(await store.getTask(task?.id ?? '')).toMatchObject({ status: 'pending', attempts: 0 });
        expect(await store.retryFault('missing', T0)).toBeNull();

        expect(await store.deleteFault(f1.id)).toBe(true);
        expect(await store.deleteFault(f1.id)).toBe(false);
        expect(await store.getFault(f1.id)).toBeNull();
        expect((await store.listFaults({ deviceId: dev })).total).toBe(1);
        await expect(store.recordFault({ id: f2.id, deviceId: dev, code: 'x', message: 'y' }, T0)).rejects.toBeInstanceOf(StoreConflictError);
      });
    });
  });
}
