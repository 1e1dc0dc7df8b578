import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { DeviceIdStruct, XsdType } from '@acs/cwmp';
import type { DataModelSpec, NodeInit } from './data-model.js';
import { ModelError } from './errors.js';
import { withStunParameters } from './stun-parameters.js';
import type { ModelContext } from './templating.js';

/** A parameter dump in the common CSV layout (`Parameter,Object,Writable,Value,Value type`). */
export interface CsvModel {
  root: string;
  /** From the optional leading `DeviceID.*` rows. */
  deviceId: Partial<DeviceIdStruct>;
  nodes: NodeInit[];
}

const ROOTS = ['Device', 'InternetGatewayDevice'];
const XSD_TYPES: readonly XsdType[] = ['string', 'int', 'unsignedInt', 'long', 'unsignedLong', 'boolean', 'dateTime', 'base64', 'hexBinary', 'decimal'];

function xsdType(local: string): XsdType {
  if (local === 'base64Binary') return 'base64';
  return XSD_TYPES.find((t) => t === local) ?? 'string';
}

function bool(v: string | undefined): boolean {
  return (v ?? '').trim().toLowerCase() === 'true' || v?.trim() === '1';
}

export function parseCsvModel(text: string): CsvModel {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true, bom: true });
  } catch (cause) {
    throw new ModelError('BAD_CSV', 'not a parameter dump in CSV', { cause });
  }
  const deviceId: Partial<DeviceIdStruct> = {};
  const nodes: NodeInit[] = [];
  let root: string | undefined;
  for (const row of rows) {
    const path = (row.Parameter ?? '').trim();
    if (path === '') continue;
    const first = path.split('.')[0] ?? '';
    if (first === 'DeviceID') {
      const field = path.slice('DeviceID.'.length);
      const value = row.Value ?? '';
      if (field === 'Manufacturer') deviceId.manufacturer = value;
      else if (field === 'OUI') deviceId.oui = value;
      else if (field === 'ProductClass') deviceId.productClass = value;
      else if (field === 'SerialNumber') deviceId.serialNumber = value;
      continue;
    }
    // Other bookkeeping rows of the tools that made the dumps (Events.*, Tags.*) are not parameters.
    if (!ROOTS.includes(first)) continue;
    root ??= `${first}.`;
    const writable = bool(row.Writable);
    if (bool(row.Object)) {
      nodes.push({ kind: 'object', name: `${path}.`, writable });
    } else {
      const typeName = (row['Value type'] ?? '').trim().replace(/^[^:]*:/, '');
      const type = xsdType(typeName);
      nodes.push({ kind: 'parameter', name: path, type, writable, value: row.Value ?? '' });
    }
  }
  if (!root) throw new ModelError('NO_ROOT', 'no Device. or InternetGatewayDevice. rows in the dump');
  return { root, deviceId, nodes };
}

export function loadCsvModel(path: string | URL): CsvModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ModelError('UNREADABLE', `cannot read ${String(path)}`, { cause });
  }
  return parseCsvModel(text);
}

// Parameters a simulated CPE must own whatever the dump said (relative to the root).
const IDENTITY: [string, keyof ModelContext][] = [
  ['DeviceInfo.SerialNumber', 'serialNumber'],
  ['ManagementServer.URL', 'acsUrl'],
  ['ManagementServer.Username', 'username'],
  ['ManagementServer.Password', 'password'],
  ['ManagementServer.ConnectionRequestURL', 'connectionRequestUrl'],
  ['ManagementServer.ConnectionRequestUsername', 'connectionRequestUsername'],
  ['ManagementServer.ConnectionRequestPassword', 'connectionRequestPassword'],
  ['ManagementServer.PeriodicInformEnable', 'periodicInformEnable'],
  ['ManagementServer.PeriodicInformInterval', 'periodicInformInterval'],
];

// Forced inform parameters (cwmp-protocol.md §10.3), relative to the root.
const FORCED: Record<string, string[]> = {
  'Device.': ['RootDataModelVersion', 'DeviceSummary', 'DeviceInfo.HardwareVersion', 'DeviceInfo.SoftwareVersion', 'DeviceInfo.ProvisioningCode', 'ManagementServer.ParameterKey', 'ManagementServer.ConnectionRequestURL'],
  'InternetGatewayDevice.': ['DeviceSummary', 'DeviceInfo.HardwareVersion', 'DeviceInfo.SoftwareVersion', 'DeviceInfo.SpecVersion', 'DeviceInfo.ProvisioningCode', 'ManagementServer.ParameterKey', 'ManagementServer.ConnectionRequestURL'],
};

/** The spec of a CSV dump for one CPE: identity and management parameters taken from `ctx`. */
export function csvModelSpec(model: CsvModel, ctx: Partial<ModelContext> = {}): DataModelSpec {
  const overrides = new Map<string, string>();
  for (const [rel, key] of IDENTITY) {
    const v = ctx[key];
    if (v !== undefined) overrides.set(model.root + rel, v);
  }
  const forced = new Set((FORCED[model.root] ?? []).map((rel) => model.root + rel));
  // ConnectionRequestURL and ConnReqJabberID have active notification on by default (cwmp-protocol.md §7, §9.1).
  const activeNotify = new Set([`${model.root}ManagementServer.ConnectionRequestURL`, `${model.root}ManagementServer.ConnReqJabberID`]);
  const nodes = withStunParameters(model.root, model.nodes).map((n): NodeInit => {
    if (n.kind !== 'parameter') return { ...n };
    const value = overrides.get(n.name) ?? n.value;
    return {
      ...n,
      value,
      ...(forced.has(n.name) ? { forcedInform: true } : {}),
      ...(activeNotify.has(n.name) ? { notification: 2 as const } : {}),
    };
  });
  return { root: model.root, nodes };
}
