import type { Fault, ParameterValueStruct } from '@acs/cwmp';
import type { DataModel } from './model/data-model.js';
import { ModelError } from './model/errors.js';

/** What an ACS sets to have a CPE take connection requests over XMPP (cwmp-protocol.md §9.1). */
export interface XmppProvisioning {
  username: string;
  password: string;
  domain: string;
  /** Default: the endpoint's `ConnReq`. */
  resource?: string;
  /** A ServerTable entry (ServerConnectAlgorithm=ServerTable); without one the CPE uses the Domain on 5222. */
  server?: { address: string; port: number };
  /** Default true. */
  useTls?: boolean;
  /** KeepAliveInterval in seconds (0 off, -1 the CPE's choice). Default: left as it is. */
  keepAliveS?: number;
  /** ConnReqAllowedJabberIDs; empty or absent = anyone. */
  allowedJabberIds?: string[];
  /** Default true. */
  enable?: boolean;
}

function faulted<T extends object>(r: T | Fault, what: string): T {
  if ('name' in r && r.name === 'Fault') {
    const f = r as Fault;
    const detail = f.detail.setParameterValuesFault?.map((p) => `${p.parameterName}: ${p.faultCode}`).join(', ');
    throw new ModelError('RPC_FAULT', `${what} failed with fault ${f.detail.faultCode}${detail ? ` (${detail})` : ''}`);
  }
  return r as T;
}

/**
 * Provisions XMPP connection requests the way an ACS does, through the RPC code paths
 * (AddObject, SetParameterValues): XMPP.Connection.1 (created when missing), a Server row when
 * given, ManagementServer.ConnReqXMPPConnection and ConnReqAllowedJabberIDs. Returns the
 * connection's path. A started CPE's XMPP endpoint logs in as a result.
 */
export function provisionXmpp(model: DataModel, p: XmppProvisioning, parameterKey = ''): string {
  const root = model.root;
  const table = `${root}XMPP.Connection.`;
  let connection = `${table}1.`;
  if (!model.has(connection)) {
    const added = faulted(model.addObject(table, parameterKey), `AddObject ${table}`);
    connection = `${table}${added.instanceNumber}.`;
  }
  const values: [string, string][] = [
    [`${connection}Enable`, String(p.enable ?? true)],
    [`${connection}Username`, p.username],
    [`${connection}Password`, p.password],
    [`${connection}Domain`, p.domain],
    [`${connection}UseTLS`, String(p.useTls ?? true)],
    [`${connection}ServerConnectAlgorithm`, p.server ? 'ServerTable' : 'DNS-SRV'],
    [`${root}ManagementServer.ConnReqXMPPConnection`, connection.slice(0, -1)],
    [`${root}ManagementServer.ConnReqAllowedJabberIDs`, (p.allowedJabberIds ?? []).join(',')],
  ];
  if (p.resource !== undefined) values.push([`${connection}Resource`, p.resource]);
  if (p.keepAliveS !== undefined) values.push([`${connection}KeepAliveInterval`, String(p.keepAliveS)]);
  if (p.server) {
    const servers = `${connection}Server.`;
    let row = `${servers}1.`;
    if (!model.has(row)) row = `${servers}${faulted(model.addObject(servers, parameterKey), `AddObject ${servers}`).instanceNumber}.`;
    values.push([`${row}Enable`, 'true'], [`${row}ServerAddress`, p.server.address], [`${row}Port`, String(p.server.port)]);
  }
  const list: ParameterValueStruct[] = values.map(([name, value]) => ({ name, value, type: model.getType(name) ?? 'string' }));
  faulted(model.setParameterValues(list, parameterKey), 'SetParameterValues');
  return connection;
}
