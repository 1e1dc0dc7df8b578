import { describe, expect, it } from '@jest/globals';
import type { Fault } from '@acs/cwmp';
import { bundledModelSpec } from './bundled.js';
import { compareNames, createDataModel, type DataModel } from './data-model.js';
import type { ModelContext } from './templating.js';

const CTX: ModelContext = {
  manufacturer: 'ACME',
  oui: '02A0C5',
  productClass: 'SimGW',
  serialNumber: 'SIM000001',
  macAddress: '02:5A:00:00:00:01',
  wanIpAddress: '10.0.0.2',
  acsUrl: 'http://127.0.0.1:1/cwmp/',
  username: 'cpe',
  password: 'pw',
  connectionRequestUrl: 'http://127.0.0.1:2/cr/x',
  connectionRequestUsername: 'cr',
  connectionRequestPassword: 'crpw',
  periodicInformEnable: 'true',
  periodicInformInterval: '300',
};

const tr181 = (): DataModel => createDataModel(bundledModelSpec('tr181', CTX));
const D = 'Device.';
const MS = 'Device.ManagementServer.';

function asFault(r: unknown): Fault {
  expect((r as { name: string }).name).toBe('Fault');
  return r as Fault;
}

describe('bundled models', () => {
  it.each(['tr181', 'tr098'] as const)('%s has a few hundred parameters with templated identity', (name) => {
    const m = createDataModel(bundledModelSpec(name, CTX));
    const root = name === 'tr181' ? 'Device.' : 'InternetGatewayDevice.';
    expect(m.root).toBe(root);
    expect(m.size).toBeGreaterThan(200);
    expect(m.size).toBeLessThan(1500);
    expect(m.getValue(`${root}DeviceInfo.SerialNumber`)).toBe('SIM000001');
    expect(m.getValue(`${root}ManagementServer.ConnectionRequestURL`)).toBe(CTX.connectionRequestUrl);
    expect(m.getType(`${root}ManagementServer.PeriodicInformInterval`)).toBe('unsignedInt');
    expect(m.has(`${root}ManagementServer.ConnReqJabberID`)).toBe(true);
    expect(m.has(`${root}ManagementServer.STUNEnable`)).toBe(true);
    expect(m.has(`${root}ManagementServer.NATDetected`)).toBe(true);
    expect(m.has(`${root}ManagementServer.UDPConnectionRequestAddress`)).toBe(true);
    expect(m.has(`${root}XMPP.Connection.`)).toBe(true);
  });

  it('tr098 carries the WAN address as a value and the MAC per CPE', () => {
    const m = createDataModel(bundledModelSpec('tr098', CTX));
    expect(m.getValue('InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress')).toBe('10.0.0.2');
    expect(m.getValue('InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceConfig.1.MACAddress')).toBe('02:5A:00:00:00:01');
  });
});

describe('GetParameterValues', () => {
  it('returns a full name with its type', () => {
    const r = tr181().getParameterValues([`${MS}PeriodicInformInterval`]);
    expect(r).toEqual({ name: 'GetParameterValuesResponse', parameterList: [{ name: `${MS}PeriodicInformInterval`, value: '300', type: 'unsignedInt' }] });
  });

  it('expands a partial path to every parameter below it', () => {
    const r = tr181().getParameterValues(['Device.DeviceInfo.']);
    if (r.name !== 'GetParameterValuesResponse') throw new Error('fault');
    expect(r.parameterList.length).toBeGreaterThan(10);
    expect(r.parameterList.every((p) => p.name.startsWith('Device.DeviceInfo.'))).toBe(true);
    expect(r.parameterList.find((p) => p.name === 'Device.DeviceInfo.Manufacturer')?.value).toBe('ACME');
  });

  it("'' is the whole tree", () => {
    const m = tr181();
    const r = m.getParameterValues(['']);
    if (r.name !== 'GetParameterValuesResponse') throw new Error('fault');
    expect(r.parameterList).toHaveLength(m.size);
  });

  it('one unknown name faults the whole call with 9005', () => {
    const f = asFault(tr181().getParameterValues([`${MS}URL`, 'Device.Nope.X']));
    expect(f.detail.faultCode).toBe(9005);
    expect(f.faultcode).toBe('Client');
  });

  it('an object name without the trailing dot is not a parameter (9005)', () => {
    expect(asFault(tr181().getParameterValues(['Device.DeviceInfo'])).detail.faultCode).toBe(9005);
  });
});

describe('SetParameterValues', () => {
  it('applies every value and takes the ParameterKey on success', () => {
    const m = tr181();
    const r = m.setParameterValues(
      [
        { name: `${MS}PeriodicInformInterval`, value: '60', type: 'unsignedInt' },
        { name: 'Device.WiFi.SSID.1.SSID', value: 'home', type: 'string' },
      ],
      'key-1',
    );
    expect(r).toEqual({ name: 'SetParameterValuesResponse', status: 0 });
    expect(m.getValue(`${MS}PeriodicInformInterval`)).toBe('60');
    expect(m.getValue('Device.WiFi.SSID.1.SSID')).toBe('home');
    expect(m.getValue(`${MS}ParameterKey`)).toBe('key-1');
  });

  it('is atomic: one bad parameter leaves everything (ParameterKey included) unchanged, with per-parameter faults', () => {
    const m = tr181();
    const f = asFault(
      m.setParameterValues(
        [
          { name: `${MS}PeriodicInformInterval`, value: '60', type: 'unsignedInt' },
          { name: 'Device.Nope', value: '1', type: 'string' },
          { name: 'Device.DeviceInfo.SerialNumber', value: 'X', type: 'string' },
          { name: `${MS}PeriodicInformEnable`, value: 'maybe', type: 'boolean' },
          { name: `${MS}CWMPRetryMinimumWaitInterval`, value: '7', type: 'string' },
        ],
        'key-2',
      ),
    );
    expect(f.detail.faultCode).toBe(9003);
    expect(f.detail.setParameterValuesFault).toEqual([
      expect.objectContaining({ parameterName: 'Device.Nope', faultCode: 9005 }),
      expect.objectContaining({ parameterName: 'Device.DeviceInfo.SerialNumber', faultCode: 9008 }),
      expect.objectContaining({ parameterName: `${MS}PeriodicInformEnable`, faultCode: 9007 }),
      expect.objectContaining({ parameterName: `${MS}CWMPRetryMinimumWaitInterval`, faultCode: 9007 }),
    ]);
    expect(m.getValue(`${MS}PeriodicInformInterval`)).toBe('300');
    expect(m.getValue(`${MS}ParameterKey`)).toBe('');
  });

  it('rejects an out-of-range unsignedInt with 9007', () => {
    const f = asFault(tr181().setParameterValues([{ name: `${MS}PeriodicInformInterval`, value: '-5', type: 'unsignedInt' }], 'k'));
    expect(f.detail.setParameterValuesFault[0]?.faultCode).toBe(9007);
  });
});

describe('GetParameterNames', () => {
  it("NextLevel true with '' gives only the root", () => {
    expect(tr181().getParameterNames('', true)).toEqual({ name: 'GetParameterNamesResponse', parameterList: [{ name: D, writable: false }] });
  });

  it('NextLevel true gives the immediate children, objects with a trailing dot', () => {
    const r = tr181().getParameterNames('Device.IP.', true);
    if (r.name !== 'GetParameterNamesResponse') throw new Error('fault');
    const names = r.parameterList.map((p) => p.name);
    expect(names).toContain('Device.IP.Interface.');
    expect(names).toContain('Device.IP.InterfaceNumberOfEntries');
    expect(names).not.toContain('Device.IP.Interface.1.');
    expect(names).not.toContain('Device.IP.');
    expect(r.parameterList.find((p) => p.name === 'Device.IP.Interface.')?.writable).toBe(true);
  });

  it('NextLevel true on a table lists its instances', () => {
    const r = tr181().getParameterNames('Device.IP.Interface.', true);
    if (r.name !== 'GetParameterNamesResponse') throw new Error('fault');
    expect(r.parameterList.map((p) => p.name)).toEqual(['Device.IP.Interface.1.', 'Device.IP.Interface.2.']);
  });

  it('NextLevel false gives the object itself and everything below', () => {
    const r = tr181().getParameterNames('Device.ManagementServer.', false);
    if (r.name !== 'GetParameterNamesResponse') throw new Error('fault');
    expect(r.parameterList[0]).toEqual({ name: MS, writable: false });
    expect(r.parameterList).toContainEqual({ name: `${MS}URL`, writable: true });
    expect(r.parameterList).toContainEqual({ name: `${MS}ParameterKey`, writable: false });
  });

  it('a full parameter name with NextLevel false gives that parameter', () => {
    expect(tr181().getParameterNames(`${MS}URL`, false)).toEqual({ name: 'GetParameterNamesResponse', parameterList: [{ name: `${MS}URL`, writable: true }] });
  });

  it('NextLevel true with a parameter name is 9003; an unknown path is 9005', () => {
    expect(asFault(tr181().getParameterNames(`${MS}URL`, true)).detail.faultCode).toBe(9003);
    expect(asFault(tr181().getParameterNames('Device.Nope.', false)).detail.faultCode).toBe(9005);
  });
});

describe('parameter attributes and notifications', () => {
  it('sets notification and access list below a partial path, and reads them back', () => {
    const m = tr181();
    const r = m.setParameterAttributes([
      { name: 'Device.WiFi.SSID.1.', notificationChange: true, notification: 1, accessListChange: true, accessList: ['Subscriber'] },
    ]);
    expect(r).toEqual({ name: 'SetParameterAttributesResponse' });
    const g = m.getParameterAttributes(['Device.WiFi.SSID.1.SSID']);
    expect(g).toEqual({ name: 'GetParameterAttributesResponse', parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', notification: 1, accessList: ['Subscriber'] }] });
  });

  it('leaves notification alone when NotificationChange is false', () => {
    const m = tr181();
    m.setParameterAttributes([{ name: `${MS}URL`, notificationChange: false, notification: 2, accessListChange: false, accessList: [] }]);
    const g = m.getParameterAttributes([`${MS}URL`]);
    if (g.name !== 'GetParameterAttributesResponse') throw new Error('fault');
    expect(g.parameterList[0]?.notification).toBe(0);
  });

  it('unknown names fault with 9005; lightweight notification is refused with 9009', () => {
    const m = tr181();
    expect(asFault(m.getParameterAttributes(['Device.Nope'])).detail.faultCode).toBe(9005);
    expect(
      asFault(m.setParameterAttributes([{ name: 'Device.Nope', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }])).detail.faultCode,
    ).toBe(9005);
    expect(
      asFault(m.setParameterAttributes([{ name: `${MS}URL`, notificationChange: true, notification: 5, accessListChange: false, accessList: [] }])).detail.faultCode,
    ).toBe(9009);
  });

  it('an active-notification parameter changed locally rides in the next Inform and is an active change', () => {
    const m = tr181();
    m.setParameterAttributes([{ name: 'Device.WiFi.SSID.1.SSID', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }]);
    expect(m.hasActiveChange()).toBe(false);
    expect(m.setLocal('Device.WiFi.SSID.1.SSID', 'changed-on-lan')).toBe(true);
    expect(m.hasActiveChange()).toBe(true);
    expect(m.informParameters()).toContainEqual({ name: 'Device.WiFi.SSID.1.SSID', value: 'changed-on-lan', type: 'string' });
    m.clearChanges();
    expect(m.informParameters().some((p) => p.name === 'Device.WiFi.SSID.1.SSID')).toBe(false);
  });

  it('changes made by the ACS itself do not notify; passive changes are not active', () => {
    const m = tr181();
    m.setParameterAttributes([{ name: 'Device.WiFi.SSID.1.SSID', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }]);
    m.setParameterValues([{ name: 'Device.WiFi.SSID.1.SSID', value: 'by-acs', type: 'string' }], 'k');
    expect(m.informParameters().some((p) => p.name === 'Device.WiFi.SSID.1.SSID')).toBe(false);
    m.setLocal('Device.WiFi.SSID.1.SSID', 'by-user');
    expect(m.hasActiveChange()).toBe(false);
    expect(m.informParameters()).toContainEqual({ name: 'Device.WiFi.SSID.1.SSID', value: 'by-user', type: 'string' });
  });

  it('forced inform parameters are always in the Inform', () => {
    const names = tr181().informParameters().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['Device.RootDataModelVersion', 'Device.DeviceInfo.SoftwareVersion', `${MS}ParameterKey`, `${MS}ConnectionRequestURL`]));
  });
});

describe('AddObject / DeleteObject', () => {
  it('adds an instance from the schema template with the next number, counts it and takes the ParameterKey', () => {
    const m = tr181();
    const r = m.addObject('Device.IP.Interface.', 'add-1');
    expect(r).toEqual({ name: 'AddObjectResponse', instanceNumber: 3, status: 0 });
    expect(m.getValue('Device.IP.Interface.3.Enable')).toBe('false');
    expect(m.has('Device.IP.Interface.3.IPv4Address.')).toBe(true);
    expect(m.getValue('Device.IP.InterfaceNumberOfEntries')).toBe('3');
    expect(m.getValue(`${MS}ParameterKey`)).toBe('add-1');
  });

  it('creates the XMPP.Connection instance the connection-request set-up needs', () => {
    const m = tr181();
    const r = m.addObject('Device.XMPP.Connection.', 'x');
    expect(r).toEqual({ name: 'AddObjectResponse', instanceNumber: 1, status: 0 });
    expect(m.getType('Device.XMPP.Connection.1.Domain')).toBe('string');
    const spv = m.setParameterValues(
      [
        { name: 'Device.XMPP.Connection.1.Enable', value: 'true', type: 'boolean' },
        { name: 'Device.XMPP.Connection.1.Resource', value: 'ConnReq', type: 'string' },
      ],
      'y',
    );
    expect(spv.name).toBe('SetParameterValuesResponse');
  });

  it('never reuses an instance number after a delete', () => {
    const m = tr181();
    expect(m.deleteObject('Device.IP.Interface.2.', 'd')).toEqual({ name: 'DeleteObjectResponse', status: 0 });
    expect(m.has('Device.IP.Interface.2.Name')).toBe(false);
    expect(m.getValue('Device.IP.InterfaceNumberOfEntries')).toBe('1');
    expect(m.getValue(`${MS}ParameterKey`)).toBe('d');
    const r = m.addObject('Device.IP.Interface.', 'a');
    expect(r).toMatchObject({ instanceNumber: 3 });
  });

  it('faults with 9005 on unknown, non-table or read-only objects', () => {
    const m = tr181();
    expect(asFault(m.addObject('Device.Nope.', 'k')).detail.faultCode).toBe(9005);
    expect(asFault(m.addObject('Device.DeviceInfo.', 'k')).detail.faultCode).toBe(9005);
    expect(asFault(m.addObject('Device.IP.Interface', 'k')).detail.faultCode).toBe(9005);
    expect(asFault(m.deleteObject('Device.IP.Interface.9.', 'k')).detail.faultCode).toBe(9005);
    expect(asFault(m.deleteObject('Device.DeviceInfo.', 'k')).detail.faultCode).toBe(9005);
    expect(m.getValue(`${MS}ParameterKey`)).toBe('');
  });
});

describe('reset', () => {
  it('restores factory values and instances', () => {
    const m = tr181();
    m.setParameterValues([{ name: `${MS}PeriodicInformInterval`, value: '61', type: 'unsignedInt' }], 'k');
    m.addObject('Device.IP.Interface.', 'k');
    m.reset();
    expect(m.getValue(`${MS}PeriodicInformInterval`)).toBe('300');
    expect(m.getValue(`${MS}ParameterKey`)).toBe('');
    expect(m.has('Device.IP.Interface.3.')).toBe(false);
    expect(m.addObject('Device.IP.Interface.', 'k')).toMatchObject({ instanceNumber: 3 });
  });
});

describe('tree order', () => {
  it('stays sorted through AddObject (the first sorts, later ones splice) and DeleteObject', () => {
    const m = tr181();
    const sorted = () => [...m.names()].sort(compareNames);
    m.addObject(`${D}XMPP.Connection.`, '');
    expect(m.names()).toEqual(sorted());
    for (const table of [`${D}XMPP.Connection.1.Server.`, `${D}XMPP.Connection.`, `${D}XMPP.Connection.2.Server.`, `${D}XMPP.Connection.1.Server.`, `${D}IP.Interface.`, `${D}IP.Interface.3.IPv4Address.`, `${D}WiFi.SSID.`]) {
      expect(m.addObject(table, '')).toMatchObject({ name: 'AddObjectResponse' });
      expect(m.names()).toEqual(sorted());
    }
    m.deleteObject(`${D}XMPP.Connection.1.`, '');
    m.addObject(`${D}XMPP.Connection.`, '');
    expect(m.names()).toEqual(sorted());
    expect(m.has(`${D}XMPP.Connection.3.Server.`)).toBe(true);
  });
});
