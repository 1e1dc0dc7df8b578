// Generates models/tr181.json and models/tr098.json from the BBF data-model XML, which is the
// authority for names, types and writability. The selection of objects, instance counts and
// factory values below is ours. Run: npx tsx scripts/generate-models.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { parseStringPromise } from 'xml2js';
import type { ModelFile, ModelObject, ModelParameter } from '../src/model/model-file.js';
import type { XsdType } from '@acs/cwmp';

const BBF = new URL('../../../../shared/data/bbf/', import.meta.url);
const OUT = new URL('../models/', import.meta.url);

const XSD_TYPES = new Set<XsdType>(['string', 'int', 'unsignedInt', 'long', 'unsignedLong', 'boolean', 'dateTime', 'base64', 'hexBinary', 'decimal']);

interface Spec {
  file: string;
  out: string;
  root: string;
  description: string;
  /** Objects (BBF paths) we keep; each keeps all its current parameters, not its sub-objects. */
  objects: string[];
  instances: Record<string, number>;
  values: Record<string, string>;
}

type XmlNode = Record<string, unknown> & { $?: Record<string, string> };

function children(node: XmlNode, key: string): XmlNode[] {
  const v = node[key];
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

async function generate(spec: Spec): Promise<void> {
  const xml = readFileSync(new URL(spec.file, BBF), 'utf8');
  const doc = (await parseStringPromise(xml)) as Record<string, XmlNode>;
  const document = Object.values(doc)[0] as XmlNode;
  const dataTypes = new Map<string, XmlNode>();
  for (const dt of children(document, 'dataType')) dataTypes.set(dt.$?.name ?? '', dt);

  const baseType = (syntax: XmlNode): XsdType | undefined => {
    for (const t of XSD_TYPES) if (syntax[t]) return t;
    const ref = children(syntax, 'dataType')[0]?.$;
    const name = ref?.ref ?? ref?.base;
    if (!name) return undefined;
    const dt = dataTypes.get(name);
    if (!dt) return undefined;
    if (dt.$?.base) return baseType({ dataType: [{ $: { ref: dt.$.base } }] });
    return baseType(dt);
  };

  const model = children(document, 'model')[0];
  if (!model) throw new Error(`no model in ${spec.file}`);
  const wanted = new Set(spec.objects);
  const objects: ModelObject[] = [];
  for (const obj of children(model, 'object')) {
    const name = obj.$?.name ?? '';
    if (!wanted.has(name)) continue;
    wanted.delete(name);
    const parameters: ModelParameter[] = [];
    for (const p of children(obj, 'parameter')) {
      const status = p.$?.status ?? 'current';
      if (status === 'deleted' || status === 'obsoleted') continue;
      const syntax = children(p, 'syntax')[0];
      if (!syntax) continue;
      const type = baseType(syntax);
      if (!type) continue;
      // Object defaults are what an instance gets on AddObject (e.g. XMPP Server.Port 5222), factory ones at reset.
      const def = children(syntax, 'default')[0]?.$;
      const param: ModelParameter = { name: p.$?.name ?? '', type, writable: p.$?.access === 'readWrite' };
      if (def && (def.type === 'factory' || def.type === 'object') && def.value !== undefined && def.value !== 'InstanceNumber') param.default = def.value;
      if (p.$?.forcedInform === 'true') param.forcedInform = true;
      if (p.$?.activeNotify === 'forceEnabled' || p.$?.activeNotify === 'forceDefaultEnabled') param.activeNotify = true;
      parameters.push(param);
    }
    const table = name.endsWith('.{i}.');
    const writable = obj.$?.access === 'readWrite' || obj.$?.access === 'createDelete';
    objects.push({ path: name, ...(table ? { table: true } : {}), writable, parameters });
  }
  if (wanted.size > 0) throw new Error(`objects not found in ${spec.file}: ${[...wanted].join(', ')}`);
  const file: ModelFile = {
    root: spec.root,
    description: spec.description,
    source: spec.file,
    objects,
    instances: spec.instances,
    values: spec.values,
  };
  writeFileSync(new URL(spec.out, OUT), JSON.stringify(file, null, 1) + '\n');
  const count = objects.reduce((n, o) => n + o.parameters.length, 0);
  console.log(`${spec.out}: ${objects.length} object definitions, ${count} parameter definitions`);
}

const D = 'Device.';
await generate({
  file: 'tr-181-2-17-0-cwmp-full.xml',
  out: 'tr181.json',
  root: D,
  description: 'Simulated TR-181 Device:2 home gateway (our selection of Device:2.17)',
  objects: [
    D,
    `${D}DeviceInfo.`,
    `${D}DeviceInfo.MemoryStatus.`,
    `${D}DeviceInfo.ProcessStatus.`,
    `${D}ManagementServer.`,
    `${D}Time.`,
    `${D}Ethernet.`,
    `${D}Ethernet.Interface.{i}.`,
    `${D}Ethernet.Interface.{i}.Stats.`,
    `${D}WiFi.`,
    `${D}WiFi.Radio.{i}.`,
    `${D}WiFi.SSID.{i}.`,
    `${D}WiFi.AccessPoint.{i}.`,
    `${D}WiFi.AccessPoint.{i}.Security.`,
    `${D}IP.`,
    `${D}IP.Interface.{i}.`,
    `${D}IP.Interface.{i}.IPv4Address.{i}.`,
    `${D}Hosts.`,
    `${D}Hosts.Host.{i}.`,
    `${D}XMPP.`,
    `${D}XMPP.Connection.{i}.`,
    `${D}XMPP.Connection.{i}.Server.{i}.`,
  ],
  instances: {
    'Device.Ethernet.Interface.': 2,
    'Device.WiFi.Radio.': 2,
    'Device.WiFi.SSID.': 2,
    'Device.WiFi.AccessPoint.': 2,
    'Device.IP.Interface.': 2,
    'Device.IP.Interface.1.IPv4Address.': 1,
    'Device.IP.Interface.2.IPv4Address.': 1,
    'Device.Hosts.Host.': 2,
    'Device.XMPP.Connection.': 0,
  },
  values: {
    'Device.RootDataModelVersion': '2.17',
    'Device.DeviceInfo.Manufacturer': '{{manufacturer}}',
    'Device.DeviceInfo.ManufacturerOUI': '{{oui}}',
    'Device.DeviceInfo.ProductClass': '{{productClass}}',
    'Device.DeviceInfo.SerialNumber': '{{serialNumber}}',
    'Device.DeviceInfo.ModelName': '{{productClass}}',
    'Device.DeviceInfo.Description': 'ACS simulator TR-181 gateway',
    'Device.DeviceInfo.HardwareVersion': 'SIM-HW-1',
    'Device.DeviceInfo.SoftwareVersion': '1.0.0',
    'Device.DeviceInfo.ProvisioningCode': '',
    'Device.DeviceInfo.UpTime': '0',
    'Device.ManagementServer.URL': '{{acsUrl}}',
    'Device.ManagementServer.Username': '{{username}}',
    'Device.ManagementServer.Password': '{{password}}',
    'Device.ManagementServer.PeriodicInformEnable': '{{periodicInformEnable}}',
    'Device.ManagementServer.PeriodicInformInterval': '{{periodicInformInterval}}',
    'Device.ManagementServer.PeriodicInformTime': '0001-01-01T00:00:00Z',
    'Device.ManagementServer.ConnectionRequestURL': '{{connectionRequestUrl}}',
    'Device.ManagementServer.ConnectionRequestUsername': '{{connectionRequestUsername}}',
    'Device.ManagementServer.ConnectionRequestPassword': '{{connectionRequestPassword}}',
    'Device.ManagementServer.CWMPRetryMinimumWaitInterval': '5',
    'Device.ManagementServer.CWMPRetryIntervalMultiplier': '2000',
    'Device.ManagementServer.SupportedConnReqMethods': 'HTTP,XMPP,STUN',
    'Device.ManagementServer.STUNServerPort': '3478',
    // No BBF default; -1 ("no maximum") leaves the keep-alive period to the CPE (the simulator: 30 s).
    'Device.ManagementServer.STUNMaximumKeepAlivePeriod': '-1',
    'Device.ManagementServer.UDPConnectionRequestAddress': '',
    'Device.ManagementServer.NATDetected': 'false',
    'Device.Ethernet.Interface.1.Name': 'eth0',
    'Device.Ethernet.Interface.1.MACAddress': '{{macAddress}}',
    'Device.Ethernet.Interface.1.Enable': 'true',
    'Device.Ethernet.Interface.1.Status': 'Up',
    'Device.Ethernet.Interface.1.Upstream': 'true',
    'Device.Ethernet.Interface.2.Name': 'eth1',
    'Device.Ethernet.Interface.2.Enable': 'true',
    'Device.Ethernet.Interface.2.Status': 'Up',
    'Device.WiFi.Radio.1.OperatingFrequencyBand': '2.4GHz',
    'Device.WiFi.Radio.1.Channel': '6',
    'Device.WiFi.Radio.2.OperatingFrequencyBand': '5GHz',
    'Device.WiFi.Radio.2.Channel': '36',
    'Device.WiFi.SSID.1.SSID': 'sim-{{serialNumber}}',
    'Device.WiFi.SSID.1.Enable': 'true',
    'Device.WiFi.SSID.1.LowerLayers': 'Device.WiFi.Radio.1.',
    'Device.WiFi.SSID.2.SSID': 'sim-{{serialNumber}}-5G',
    'Device.WiFi.SSID.2.Enable': 'true',
    'Device.WiFi.SSID.2.LowerLayers': 'Device.WiFi.Radio.2.',
    'Device.WiFi.AccessPoint.1.SSIDReference': 'Device.WiFi.SSID.1.',
    'Device.WiFi.AccessPoint.1.Security.ModeEnabled': 'WPA2-Personal',
    'Device.WiFi.AccessPoint.2.SSIDReference': 'Device.WiFi.SSID.2.',
    'Device.WiFi.AccessPoint.2.Security.ModeEnabled': 'WPA2-Personal',
    'Device.IP.Interface.1.Name': 'wan',
    'Device.IP.Interface.1.Enable': 'true',
    'Device.IP.Interface.1.Status': 'Up',
    'Device.IP.Interface.1.LowerLayers': 'Device.Ethernet.Interface.1.',
    'Device.IP.Interface.1.IPv4Address.1.Enable': 'true',
    'Device.IP.Interface.1.IPv4Address.1.IPAddress': '{{wanIpAddress}}',
    'Device.IP.Interface.1.IPv4Address.1.SubnetMask': '255.0.0.0',
    'Device.IP.Interface.1.IPv4Address.1.AddressingType': 'DHCP',
    'Device.IP.Interface.2.Name': 'lan',
    'Device.IP.Interface.2.Enable': 'true',
    'Device.IP.Interface.2.Status': 'Up',
    'Device.IP.Interface.2.LowerLayers': 'Device.Ethernet.Interface.2.',
    'Device.IP.Interface.2.IPv4Address.1.Enable': 'true',
    'Device.IP.Interface.2.IPv4Address.1.IPAddress': '192.168.1.1',
    'Device.IP.Interface.2.IPv4Address.1.SubnetMask': '255.255.255.0',
    'Device.IP.Interface.2.IPv4Address.1.AddressingType': 'Static',
    'Device.Hosts.Host.1.PhysAddress': '02:10:00:00:00:01',
    'Device.Hosts.Host.1.IPAddress': '192.168.1.100',
    'Device.Hosts.Host.1.HostName': 'laptop',
    'Device.Hosts.Host.1.Active': 'true',
    'Device.Hosts.Host.2.PhysAddress': '02:10:00:00:00:02',
    'Device.Hosts.Host.2.IPAddress': '192.168.1.101',
    'Device.Hosts.Host.2.HostName': 'phone',
    'Device.Hosts.Host.2.Active': 'true',
  },
});

const I = 'InternetGatewayDevice.';
const WCD = `${I}WANDevice.{i}.WANConnectionDevice.{i}.`;
await generate({
  file: 'tr-098-1-8-0-full.xml',
  out: 'tr098.json',
  root: I,
  description: 'Simulated TR-098 InternetGatewayDevice:1 gateway (our selection of InternetGatewayDevice:1.14)',
  objects: [
    I,
    `${I}DeviceInfo.`,
    `${I}DeviceInfo.MemoryStatus.`,
    `${I}ManagementServer.`,
    `${I}Time.`,
    `${I}LANDevice.{i}.`,
    `${I}LANDevice.{i}.LANHostConfigManagement.`,
    `${I}LANDevice.{i}.LANHostConfigManagement.IPInterface.{i}.`,
    `${I}LANDevice.{i}.LANEthernetInterfaceConfig.{i}.`,
    `${I}LANDevice.{i}.WLANConfiguration.{i}.`,
    `${I}LANDevice.{i}.Hosts.`,
    `${I}LANDevice.{i}.Hosts.Host.{i}.`,
    `${I}WANDevice.{i}.`,
    `${I}WANDevice.{i}.WANCommonInterfaceConfig.`,
    WCD,
    `${WCD}WANIPConnection.{i}.`,
    `${WCD}WANPPPConnection.{i}.`,
    `${I}XMPP.`,
    `${I}XMPP.Connection.{i}.`,
    `${I}XMPP.Connection.{i}.Server.{i}.`,
  ],
  instances: {
    'InternetGatewayDevice.LANDevice.': 1,
    'InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.IPInterface.': 1,
    'InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceConfig.': 2,
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.': 2,
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.': 2,
    'InternetGatewayDevice.WANDevice.': 1,
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.': 1,
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.': 1,
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.': 0,
    'InternetGatewayDevice.XMPP.Connection.': 0,
  },
  values: {
    'InternetGatewayDevice.DeviceSummary': 'InternetGatewayDevice:1.4[](Baseline:1)',
    'InternetGatewayDevice.DeviceInfo.Manufacturer': '{{manufacturer}}',
    'InternetGatewayDevice.DeviceInfo.ManufacturerOUI': '{{oui}}',
    'InternetGatewayDevice.DeviceInfo.ProductClass': '{{productClass}}',
    'InternetGatewayDevice.DeviceInfo.SerialNumber': '{{serialNumber}}',
    'InternetGatewayDevice.DeviceInfo.ModelName': '{{productClass}}',
    'InternetGatewayDevice.DeviceInfo.Description': 'ACS simulator TR-098 gateway',
    'InternetGatewayDevice.DeviceInfo.HardwareVersion': 'SIM-HW-1',
    'InternetGatewayDevice.DeviceInfo.SoftwareVersion': '1.0.0',
    'InternetGatewayDevice.DeviceInfo.SpecVersion': '1.0',
    'InternetGatewayDevice.DeviceInfo.ProvisioningCode': '',
    'InternetGatewayDevice.ManagementServer.URL': '{{acsUrl}}',
    'InternetGatewayDevice.ManagementServer.Username': '{{username}}',
    'InternetGatewayDevice.ManagementServer.Password': '{{password}}',
    'InternetGatewayDevice.ManagementServer.PeriodicInformEnable': '{{periodicInformEnable}}',
    'InternetGatewayDevice.ManagementServer.PeriodicInformInterval': '{{periodicInformInterval}}',
    'InternetGatewayDevice.ManagementServer.PeriodicInformTime': '0001-01-01T00:00:00Z',
    'InternetGatewayDevice.ManagementServer.ConnectionRequestURL': '{{connectionRequestUrl}}',
    'InternetGatewayDevice.ManagementServer.ConnectionRequestUsername': '{{connectionRequestUsername}}',
    'InternetGatewayDevice.ManagementServer.ConnectionRequestPassword': '{{connectionRequestPassword}}',
    'InternetGatewayDevice.ManagementServer.CWMPRetryMinimumWaitInterval': '5',
    'InternetGatewayDevice.ManagementServer.CWMPRetryIntervalMultiplier': '2000',
    'InternetGatewayDevice.ManagementServer.SupportedConnReqMethods': 'HTTP,XMPP,STUN',
    'InternetGatewayDevice.ManagementServer.STUNServerPort': '3478',
    'InternetGatewayDevice.ManagementServer.STUNMaximumKeepAlivePeriod': '-1',
    'InternetGatewayDevice.ManagementServer.NATDetected': 'false',
    'InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.IPInterface.1.Enable': 'true',
    'InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.IPInterface.1.IPInterfaceIPAddress': '192.168.1.1',
    'InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.IPInterface.1.IPInterfaceSubnetMask': '255.255.255.0',
    'InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceConfig.1.MACAddress': '{{macAddress}}',
    'InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceConfig.1.Enable': 'true',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID': 'sim-{{serialNumber}}',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Enable': 'true',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel': '6',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.2.SSID': 'sim-{{serialNumber}}-5G',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.2.Channel': '36',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.1.MACAddress': '02:10:00:00:00:01',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.1.IPAddress': '192.168.1.100',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.1.HostName': 'laptop',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active': 'true',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.2.MACAddress': '02:10:00:00:00:02',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.2.IPAddress': '192.168.1.101',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.2.HostName': 'phone',
    'InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active': 'true',
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.Enable': 'true',
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ConnectionStatus': 'Connected',
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress': '{{wanIpAddress}}',
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.AddressingType': 'DHCP',
    'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.MACAddress': '{{macAddress}}',
  },
});
