import { parseCsvModel, type CsvModel } from '@acs/cpe-sim';

// Objects, then [name, writable, value, type]. Identity and ManagementServer values are filled in per
// CPE by the simulator; the rest is what a small real CPE reports.
const OBJECTS = ['Device.', 'Device.DeviceInfo.', 'Device.ManagementServer.'];
const PARAMETERS: [string, boolean, string, string][] = [
  ['Device.RootDataModelVersion', false, '2.17', 'string'],
  ['Device.DeviceInfo.Manufacturer', false, 'ACS Simulator', 'string'],
  ['Device.DeviceInfo.ManufacturerOUI', false, '02A0C5', 'string'],
  ['Device.DeviceInfo.ProductClass', false, 'SimGW', 'string'],
  ['Device.DeviceInfo.SerialNumber', false, 'SIM000001', 'string'],
  ['Device.DeviceInfo.HardwareVersion', false, 'HW1', 'string'],
  ['Device.DeviceInfo.SoftwareVersion', false, '1.0.0', 'string'],
  ['Device.DeviceInfo.ProvisioningCode', true, '', 'string'],
  ['Device.DeviceInfo.UpTime', false, '100', 'unsignedInt'],
  ['Device.ManagementServer.URL', true, '', 'string'],
  ['Device.ManagementServer.Username', true, '', 'string'],
  ['Device.ManagementServer.Password', true, '', 'string'],
  ['Device.ManagementServer.PeriodicInformEnable', true, 'true', 'boolean'],
  ['Device.ManagementServer.PeriodicInformInterval', true, '300', 'unsignedInt'],
  ['Device.ManagementServer.ParameterKey', false, '', 'string'],
  ['Device.ManagementServer.ConnectionRequestURL', false, '', 'string'],
  ['Device.ManagementServer.ConnectionRequestUsername', true, '', 'string'],
  ['Device.ManagementServer.ConnectionRequestPassword', true, '', 'string'],
];

/**
 * A TR-181 device with 18 parameters instead of the bundled model's ~450: its boot session (onboarding,
 * discovery of the whole tree) is a handful of short round trips, which is what a load test of many CPEs
 * in parallel needs.
 */
export function compactTr181Model(): CsvModel {
  const rows = [
    'Parameter,Object,Writable,Value,Value type',
    ...OBJECTS.map((o) => `${o.slice(0, -1)},true,false,"",`),
    ...PARAMETERS.map(([name, writable, value, type]) => `${name},false,${writable},"${value}",xsd:${type}`),
  ];
  return parseCsvModel(`${rows.join('\n')}\n`);
}
