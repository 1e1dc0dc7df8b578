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

// With `xmpp`: one XMPP.Connection with one server entry, unconfigured, as a CPE that supports Annex K ships.
const XMPP_OBJECTS = ['Device.XMPP.', 'Device.XMPP.Connection.', 'Device.XMPP.Connection.1.', 'Device.XMPP.Connection.1.Server.', 'Device.XMPP.Connection.1.Server.1.'];
const XMPP_PARAMETERS: [string, boolean, string, string][] = [
  ['Device.ManagementServer.SupportedConnReqMethods', false, 'HTTP,XMPP', 'string'],
  ['Device.ManagementServer.ConnReqXMPPConnection', true, '', 'string'],
  ['Device.ManagementServer.ConnReqAllowedJabberIDs', true, '', 'string'],
  ['Device.ManagementServer.ConnReqJabberID', false, '', 'string'],
  ...(['Enable', 'UseTLS'] as const).map((n): [string, boolean, string, string] => [`Device.XMPP.Connection.1.${n}`, true, 'false', 'boolean']),
  ...(['Username', 'Password', 'Domain', 'Resource'] as const).map((n): [string, boolean, string, string] => [`Device.XMPP.Connection.1.${n}`, true, '', 'string']),
  ['Device.XMPP.Connection.1.ServerConnectAlgorithm', true, 'DNS-SRV', 'string'],
  ['Device.XMPP.Connection.1.KeepAliveInterval', true, '-1', 'long'],
  ['Device.XMPP.Connection.1.JabberID', false, '', 'string'],
  ['Device.XMPP.Connection.1.Status', false, 'Disabled', 'string'],
  ['Device.XMPP.Connection.1.Server.1.Enable', true, 'false', 'boolean'],
  ['Device.XMPP.Connection.1.Server.1.ServerAddress', true, '', 'string'],
  ['Device.XMPP.Connection.1.Server.1.Port', true, '5222', 'unsignedInt'],
];

/**
 * A TR-181 device with 18 parameters instead of the bundled model's ~450: its boot session (onboarding,
 * discovery of the whole tree) is a handful of short round trips, which is what a load test of many CPEs
 * in parallel needs.
 */
export function compactTr181Model(options: { xmpp?: boolean } = {}): CsvModel {
  const objects = [...OBJECTS, ...(options.xmpp ? XMPP_OBJECTS : [])];
  const parameters = [...PARAMETERS, ...(options.xmpp ? XMPP_PARAMETERS : [])];
  const rows = [
    'Parameter,Object,Writable,Value,Value type',
    ...objects.map((o) => `${o.slice(0, -1)},true,false,"",`),
    ...parameters.map(([name, writable, value, type]) => `${name},false,${writable},"${value}",xsd:${type}`),
  ];
  return parseCsvModel(`${rows.join('\n')}\n`);
}
