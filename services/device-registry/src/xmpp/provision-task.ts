// The `provisionXmpp` system task: find (or add) the CPE's XMPP.Connection and its Server entry, create its account
// on the XMPP server, then set everything Annex K needs in one SetParameterValues. One RPC per step, like a refresh.
import type { AcsRequest, CpeResponse, ParameterValueStruct } from '@acs/cwmp';
import { generateSecret } from '../secrets.js';
import type { JsonValue, Task } from '../store/types.js';
import { progressOf } from '../task-meta.js';
import { XmppAccountError, xmppUsernameFor, type XmppAccount, type XmppAccounts } from './accounts.js';

/** Where a provisionXmpp task stands; `connection` / `server` are instance numbers once known. */
export type XmppStep =
  | { step: 'find-connection' }
  | { step: 'add-connection' }
  | { step: 'find-server'; connection: number }
  | { step: 'add-server'; connection: number }
  | { step: 'set'; connection: number; server: number };

export type XmppProgress = { sessionId: string; phase: 'xmpp' } & XmppStep;

type ProvisionTask = Extract<Task, { type: 'provisionXmpp' }>;

/** The CPE's resource for connection requests: the seed's `user@domain/ConnReq`. */
export const XMPP_RESOURCE = 'ConnReq';
const PASSWORD_LENGTH = 24;

/** The step of a running provisionXmpp task; null for any other task. */
export function xmppProgressOf(task: Task): XmppProgress | null {
  const p = progressOf(task);
  return task.type === 'provisionXmpp' && p?.phase === 'xmpp' ? p : null;
}

/** The step a freshly claimed task starts with. */
export function firstXmppStep(sessionId: string): XmppProgress {
  return { sessionId, phase: 'xmpp', step: 'find-connection' };
}

const connectionTable = (t: ProvisionTask) => `${t.args.root}XMPP.Connection.`;
const serverTable = (t: ProvisionTask, connection: number) => `${connectionTable(t)}${connection}.Server.`;

/** The table a step lists (GetParameterNames, NextLevel true) or adds to, for the registry's generic tree update. */
export function xmppStepTable(task: ProvisionTask, p: XmppProgress): string {
  return p.step === 'find-server' || p.step === 'add-server' ? serverTable(task, p.connection) : connectionTable(task);
}

/** The response the step's RPC gets. */
export function xmppExpectedResponse(p: XmppProgress): CpeResponse['name'] {
  if (p.step === 'find-connection' || p.step === 'find-server') return 'GetParameterNamesResponse';
  if (p.step === 'add-connection' || p.step === 'add-server') return 'AddObjectResponse';
  return 'SetParameterValuesResponse';
}

/**
 * The RPC of the step. The `set` step creates the account first (a new password each time it runs, so a re-applied
 * task cannot leave the server and the CPE on different ones for long); XmppAccountError when that fails.
 */
export async function xmppStepRpc(accounts: XmppAccounts | undefined, task: ProvisionTask, p: XmppProgress): Promise<AcsRequest> {
  switch (p.step) {
    case 'find-connection':
      return { name: 'GetParameterNames', parameterPath: connectionTable(task), nextLevel: true };
    case 'add-connection':
      return { name: 'AddObject', objectName: connectionTable(task), parameterKey: '' };
    case 'find-server':
      return { name: 'GetParameterNames', parameterPath: serverTable(task, p.connection), nextLevel: true };
    case 'add-server':
      return { name: 'AddObject', objectName: serverTable(task, p.connection), parameterKey: '' };
    case 'set': {
      if (accounts === undefined) throw new XmppAccountError('no XMPP connection-request worker is deployed (REGISTRY_CONNREQ_TRANSPORTS has no xmpp)');
      const username = xmppUsernameFor(task.deviceId);
      const password = generateSecret(PASSWORD_LENGTH);
      const account = await accounts.ensure(username, password);
      return { name: 'SetParameterValues', parameterList: xmppParameters(task, p, username, password, account), parameterKey: task.args.parameterKey ?? '' };
    }
  }
}

function xmppParameters(task: ProvisionTask, p: Extract<XmppStep, { step: 'set' }>, username: string, password: string, account: XmppAccount): ParameterValueStruct[] {
  const root = task.args.root;
  const conn = `${connectionTable(task)}${p.connection}.`;
  const server = `${serverTable(task, p.connection)}${p.server}.`;
  return [
    { name: `${conn}Username`, value: username, type: 'string' },
    { name: `${conn}Password`, value: password, type: 'string' },
    { name: `${conn}Domain`, value: account.domain, type: 'string' },
    { name: `${conn}Resource`, value: XMPP_RESOURCE, type: 'string' },
    { name: `${conn}UseTLS`, value: String(account.useTLS), type: 'boolean' },
    // DNS-SRV needs the operator's DNS; the server table names the address connreq-xmpp says CPEs reach.
    { name: `${conn}ServerConnectAlgorithm`, value: 'ServerTable', type: 'string' },
    { name: `${conn}KeepAliveInterval`, value: String(task.args.keepAliveInterval), type: 'long' },
    { name: `${server}Enable`, value: 'true', type: 'boolean' },
    { name: `${server}ServerAddress`, value: account.server.address, type: 'string' },
    { name: `${server}Port`, value: String(account.server.port), type: 'unsignedInt' },
    { name: `${conn}Enable`, value: 'true', type: 'boolean' },
    // A reference names the object without its trailing dot (TR-106).
    { name: `${root}ManagementServer.ConnReqXMPPConnection`, value: `${connectionTable(task)}${p.connection}`, type: 'string' },
    { name: `${root}ManagementServer.ConnReqAllowedJabberIDs`, value: account.allowedJids.join(','), type: 'string' },
  ];
}

/** The lowest instance number directly below `table` among GetParameterNames(NextLevel true) names; null if none. */
export function lowestInstance(table: string, names: readonly string[]): number | null {
  let lowest: number | null = null;
  for (const name of names) {
    if (!name.startsWith(table)) continue;
    const m = /^(\d+)\.$/.exec(name.slice(table.length));
    const n = m?.[1] === undefined ? NaN : Number(m[1]);
    if (Number.isSafeInteger(n) && (lowest === null || n < lowest)) lowest = n;
  }
  return lowest;
}

export type XmppAdvance = { next: XmppProgress } | { done: JsonValue };

/** What the step's answer means: the next step, or the task's result. The tree update of GPN/AddObject is the caller's. */
export function advanceXmpp(task: ProvisionTask, p: XmppProgress, response: CpeResponse): XmppAdvance {
  const base = { sessionId: p.sessionId, phase: 'xmpp' as const };
  if (response.name === 'GetParameterNamesResponse') {
    const names = response.parameterList.map((x) => x.name);
    if (p.step === 'find-connection') {
      const connection = lowestInstance(connectionTable(task), names);
      return { next: connection === null ? { ...base, step: 'add-connection' } : { ...base, step: 'find-server', connection } };
    }
    if (p.step === 'find-server') {
      const server = lowestInstance(serverTable(task, p.connection), names);
      return { next: server === null ? { ...base, step: 'add-server', connection: p.connection } : { ...base, step: 'set', connection: p.connection, server } };
    }
  }
  if (response.name === 'AddObjectResponse') {
    if (p.step === 'add-connection') return { next: { ...base, step: 'find-server', connection: response.instanceNumber } };
    if (p.step === 'add-server') return { next: { ...base, step: 'set', connection: p.connection, server: response.instanceNumber } };
  }
  if (response.name === 'SetParameterValuesResponse' && p.step === 'set') {
    return { done: { connection: p.connection, server: p.server, status: response.status } };
  }
  throw new RangeError(`provisionXmpp step ${p.step} cannot take ${response.name}`);
}
