import { describe, expect, it } from '@jest/globals';
import { csvModelSpec, loadCsvModel, parseCsvModel } from './csv-loader.js';
import { createDataModel } from './data-model.js';
import { ModelError } from './errors.js';

// CI clones the repo with shared/ beside it, exactly like /work/shared next to /work/main.
const DUMPS = new URL('../../../../../shared/data/vendor-models/', import.meta.url);
const load = (name: string) => loadCsvModel(new URL(`${name}.csv`, DUMPS));

describe('CSV loader on the vendor dumps', () => {
  it.each([
    ['huawei-eg8145v5-tr098', 'InternetGatewayDevice.', 3147, 7, { manufacturer: 'Huawei Technologies Co., Ltd', oui: '00259E', productClass: 'EG8145V5', serialNumber: '48575443A94196A5' }],
    ['zte-h199a-tr098', 'InternetGatewayDevice.', 1457, 0, { manufacturer: 'ZTE', oui: 'C0B101', productClass: 'ZXHN H199A', serialNumber: 'ZTEYH86LCN10105' }],
    ['tplink-ex220-tr181', 'Device.', 4413, 0, { manufacturer: 'TP-Link', oui: '1C61B4', productClass: 'Device2', serialNumber: '2226469000523' }],
    ['tplink-ec220g5v3-tr181', 'Device.', 753, 0, { manufacturer: 'TP-Link', oui: '9CA2F4', productClass: 'EC220-G5', serialNumber: '22275K2000315' }],
  ])('%s: root %s, %i parameters (+%i STUN ones it lacks), DeviceID rows', (name, root, params, stunAdded, deviceId) => {
    const m = load(name);
    expect(m.root).toBe(root);
    expect(m.nodes.filter((n) => n.kind === 'parameter')).toHaveLength(params);
    expect(m.deviceId).toEqual(deviceId);
    const dm = createDataModel(csvModelSpec(m));
    expect(dm.size).toBe(params + stunAdded);
    // Bookkeeping rows of the dumping tool are not parameters.
    expect(dm.names().some((n) => n.startsWith('Events.') || n.startsWith('DeviceID.'))).toBe(false);
  });

  it('keeps known values and types', () => {
    const huawei = createDataModel(csvModelSpec(load('huawei-eg8145v5-tr098')));
    expect(huawei.getValue('InternetGatewayDevice.DeviceInfo.SoftwareVersion')).toBe('V5R020C00S280');
    expect(huawei.getType('InternetGatewayDevice.ManagementServer.PeriodicInformInterval')).toBe('unsignedInt');
    expect(huawei.getValue('InternetGatewayDevice.BulkData.MaxNumberOfProfiles')).toBe('64');
    expect(huawei.getType('InternetGatewayDevice.BulkData.MaxNumberOfProfiles')).toBe('int');
    const ec220 = createDataModel(csvModelSpec(load('tplink-ec220g5v3-tr181')));
    expect(ec220.getValue('Device.Bridging.Bridge.1.Port.2.LowerLayers')).toBe('Device.WiFi.SSID.1');
    expect(ec220.getType('Device.Bridging.Bridge.1.Port.1.ManagementPort')).toBe('boolean');
    const ex220 = createDataModel(csvModelSpec(load('tplink-ex220-tr181')));
    expect(ex220.getValue('Device.DeviceInfo.SoftwareVersion')).toBe('0.14.0 2.0.0 v605f.0 Build 221227 Rel.55257n');
  });

  it('adds the STUN parameters a dump lacks and keeps the ones it has', () => {
    const huawei = createDataModel(csvModelSpec(load('huawei-eg8145v5-tr098')));
    const ms = 'InternetGatewayDevice.ManagementServer.';
    expect(huawei.getValue(`${ms}STUNEnable`)).toBe('false');
    expect(huawei.getValue(`${ms}STUNServerPort`)).toBe('3478');
    expect(huawei.getValue(`${ms}STUNMaximumKeepAlivePeriod`)).toBe('-1');
    expect(huawei.getType(`${ms}STUNMinimumKeepAlivePeriod`)).toBe('unsignedInt');
    const names = huawei.getParameterNames(`${ms}STUNEnable`, false);
    expect(names.name === 'GetParameterNamesResponse' && names.parameterList[0]?.writable).toBe(true);
    const ec220 = createDataModel(csvModelSpec(load('tplink-ec220g5v3-tr181')));
    expect(ec220.getValue('Device.ManagementServer.STUNServerAddress')).toBe('flashman.emextelecom.com.br');
    expect(ec220.getValue('Device.ManagementServer.STUNMaximumKeepAlivePeriod')).toBe('10');
  });

  it('hands the simulated identity and management values over the dump', () => {
    const spec = csvModelSpec(load('zte-h199a-tr098'), {
      serialNumber: 'SIM000042',
      acsUrl: 'http://127.0.0.1:9/cwmp/',
      connectionRequestUrl: 'http://127.0.0.1:10/cr',
    });
    const dm = createDataModel(spec);
    expect(dm.getValue('InternetGatewayDevice.DeviceInfo.SerialNumber')).toBe('SIM000042');
    expect(dm.getValue('InternetGatewayDevice.ManagementServer.URL')).toBe('http://127.0.0.1:9/cwmp/');
    const forced = dm.informParameters().map((p) => p.name);
    expect(forced).toEqual(
      expect.arrayContaining(['InternetGatewayDevice.DeviceInfo.SoftwareVersion', 'InternetGatewayDevice.ManagementServer.ConnectionRequestURL']),
    );
  });

  it('AddObject on a dump copies the shape of an existing instance with the next free number', () => {
    const dm = createDataModel(csvModelSpec(load('tplink-ex220-tr181')));
    const r = dm.addObject('Device.IP.Interface.', 'k');
    expect(r).toMatchObject({ name: 'AddObjectResponse', instanceNumber: 5 });
    expect(dm.getType('Device.IP.Interface.5.Enable')).toBe('boolean');
    expect(dm.getValue('Device.IP.Interface.5.Enable')).toBe('false');
    expect(dm.has('Device.IP.Interface.5.IPv4Address.')).toBe(true);
    expect(dm.has('Device.IP.Interface.5.IPv4Address.1.')).toBe(false);
  });

  it('rejects text that is not a dump with a typed error', () => {
    expect(() => parseCsvModel('Parameter,Object,Writable,Value,Value type\nFoo.Bar,false,false,1,xsd:int\n')).toThrow(ModelError);
    expect(() => parseCsvModel('Parameter,Value\n"unterminated')).toThrow(expect.objectContaining({ name: 'ModelError', code: 'BAD_CSV' }));
    expect(() => loadCsvModel('/nonexistent/dump.csv')).toThrow(expect.objectContaining({ code: 'UNREADABLE' }));
  });
});
