import { beforeEach, describe, expect, it } from '@jest/globals';
import { StoreNotFoundError, StoreValidationError } from '../device-store.js';
import type { DeviceStore } from '../device-store.js';
import type { ParameterUpdate } from '../types.js';
import { T0, identity, paramsByPath } from './records.fixture.js';

/** The ParameterTree part of the DeviceStore contract (`store` is the running test's). */
export function parameterTreeContract(store: DeviceStore): void {
  describe('parameters', () => {
    const dev = '00259E-GW500-P1';
    beforeEach(async () => {
      await store.upsertDevice(identity('P1'), T0);
    });

    it('recordInform writes a new device with its parameters, then an existing one in place', async () => {
      const first = await store.recordInform(identity('R1'), [{ path: 'Device.DeviceInfo.UpTime', value: '1', type: 'xsd:unsignedInt' }], T0);
      expect(first.created).toBe(true);
      expect(first.device.lastInformAt).toBe(null);
      const again = await store.recordInform({ ...identity('R1'), lastInformAt: T0 + 5 }, [{ path: 'Device.DeviceInfo.UpTime', value: '2' }], T0 + 5);
      expect(again.created).toBe(false);
      expect(again.device.lastInformAt).toBe(T0 + 5);
      expect(await store.getParameters('00259E-GW500-R1')).toEqual([
        { path: 'Device.DeviceInfo.UpTime', value: '2', type: 'xsd:unsignedInt', writable: null, object: false, notification: null, accessList: null, readAt: T0 + 5 },
      ]);
      // No parameters: the device alone.
      expect((await store.recordInform(identity('R2'), [], T0)).created).toBe(true);
      expect(await store.getParameters('00259E-GW500-R2')).toEqual([]);
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

      const params = paramsByPath(await store.getParameters(dev));
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
      const params = paramsByPath(await store.getParameters(dev, 'Device.WiFi.'));
      expect(params.get('Device.WiFi.SSID.1.')).toMatchObject({ object: true, writable: false, value: null, readAt: null });
      expect(params.get('Device.WiFi.SSID.1.SSID')).toMatchObject({ object: false, writable: true, value: null, readAt: null });
      await store.upsertParameters(dev, [{ path: 'Device.WiFi.SSID.1.SSID', value: 'home', type: 'xsd:string' }], T0 + 1);
      expect(paramsByPath(await store.getParameters(dev, 'Device.WiFi.SSID.1.SSID')).get('Device.WiFi.SSID.1.SSID')).toMatchObject({
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
      const params = paramsByPath(await store.getParameters(dev));
      for (const path of odd) expect(params.get(path)).toMatchObject({ path, value: path });
      expect(params.get('Device.NameOnly')).toEqual({ path: 'Device.NameOnly', value: null, type: null, writable: null, object: false, notification: null, accessList: null, readAt: null });
      expect(params.get('Device.Twice')).toMatchObject({ value: 'second', type: 'xsd:string' });
      expect((await store.getParameters(dev, 'Device.X_100%')).map((p) => p.path)).toEqual(['Device.X_100%.Value']);
      expect(await store.deleteParameterSubtree(dev, 'Device.X_$Vendor.')).toBe(1);
      expect(paramsByPath(await store.getParameters(dev)).has('Device.X_$Vendor.Value')).toBe(false);
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
}
