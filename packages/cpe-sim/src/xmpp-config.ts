import type { DataModel } from './model/data-model.js';

export interface XmppServerAddress {
  host: string;
  port: number;
}

/** What the referenced XMPP.Connection asks for, read from the data model. */
export interface XmppConnectionConfig {
  /** `<root>XMPP.Connection.<i>.` */
  connection: string;
  username: string;
  password: string;
  domain: string;
  resource: string;
  useTls: boolean;
  /** In the order to try: the ServerTable by Priority, or the Domain on 5222 (no DNS SRV lookups here). */
  servers: XmppServerAddress[];
  /** Seconds; 0 = off, -1 = ours to choose. */
  keepAliveS: number;
  connectAttempts: number;
  retryInitialS: number;
  retryMultiplier: number;
  retryMaxS: number;
}

export type XmppConfigState =
  /** ConnReqXMPPConnection is empty or names no existing connection: XMPP is not in use. */
  | { state: 'unused' }
  | { state: 'disabled'; connection: string }
  | { state: 'misconfigured'; connection: string; reason: string }
  | { state: 'ready'; connection: string; config: XmppConnectionConfig };

export const DEFAULT_RESOURCE = 'ConnReq';
const XMPP_CLIENT_PORT = 5222;

const isTrue = (v: string | undefined) => v === 'true' || v === '1';

/** `Device.XMPP.Connection.1` or `...Connection.1.` → `Device.XMPP.Connection.1.` when that instance exists. */
export function resolveConnectionReference(model: DataModel, reference: string): string | undefined {
  const ref = reference.trim();
  if (ref === '') return undefined;
  const path = ref.endsWith('.') ? ref : `${ref}.`;
  if (!new RegExp(`^${escapeRegExp(model.root)}XMPP\\.Connection\\.\\d+\\.$`).test(path)) return undefined;
  return model.has(path) ? path : undefined;
}

export function readXmppConfig(model: DataModel): XmppConfigState {
  const connection = resolveConnectionReference(model, model.getValue(`${model.root}ManagementServer.ConnReqXMPPConnection`) ?? '');
  if (!connection) return { state: 'unused' };
  const get = (leaf: string) => model.getValue(connection + leaf) ?? '';
  const num = (leaf: string, fallback: number) => {
    const n = Number(get(leaf));
    return get(leaf) === '' || !Number.isFinite(n) ? fallback : n;
  };
  if (!isTrue(get('Enable'))) return { state: 'disabled', connection };
  const username = get('Username');
  const domain = get('Domain');
  if (username === '' || domain === '') return { state: 'misconfigured', connection, reason: 'Username and Domain must be set' };
  const servers = get('ServerConnectAlgorithm') === 'ServerTable' ? serverTable(model, connection) : [{ host: domain, port: XMPP_CLIENT_PORT }];
  if (servers.length === 0) return { state: 'misconfigured', connection, reason: 'ServerConnectAlgorithm is ServerTable but no Server entry has a ServerAddress' };
  return {
    state: 'ready',
    connection,
    config: {
      connection,
      username,
      password: get('Password'),
      domain,
      resource: get('Resource') || DEFAULT_RESOURCE,
      useTls: isTrue(get('UseTLS')),
      servers,
      keepAliveS: num('KeepAliveInterval', -1),
      connectAttempts: num('ServerConnectAttempts', 16),
      retryInitialS: Math.max(1, num('ServerRetryInitialInterval', 60)),
      retryMultiplier: Math.max(1000, num('ServerRetryIntervalMultiplier', 2000)),
      retryMaxS: Math.max(1, num('ServerRetryMaxInterval', 30720)),
    },
  };
}

/**
 * Server.{i} rows with a ServerAddress, lowest Priority first. Enabled rows only, unless none is
 * enabled: an ACS that sets ServerAddress/Port and forgets Enable (default false) still gets a CPE
 * that connects, which a strict real device would not do.
 */
function serverTable(model: DataModel, connection: string): XmppServerAddress[] {
  const row = new RegExp(`^${escapeRegExp(connection)}Server\\.\\d+\\.$`);
  const rows = model
    .names()
    .filter((n) => row.test(n))
    .map((n) => ({
      host: model.getValue(`${n}ServerAddress`) ?? '',
      port: Number(model.getValue(`${n}Port`)) || XMPP_CLIENT_PORT,
      enabled: isTrue(model.getValue(`${n}Enable`)),
      priority: Number(model.getValue(`${n}Priority`)) || 0,
    }))
    .filter((r) => r.host !== '');
  const usable = rows.some((r) => r.enabled) ? rows.filter((r) => r.enabled) : rows;
  return usable.sort((a, b) => a.priority - b.priority).map(({ host, port }) => ({ host, port }));
}

/** Two configurations with the same key need no new login (KeepAliveInterval aside, which applies live). */
export function loginKey(c: XmppConnectionConfig): string {
  const { keepAliveS: _keepAlive, ...login } = c;
  return JSON.stringify(login);
}

/** The nth reconnection wait (1 = first): random in [0, min(initial·k^(n−1), max)] seconds (TR-181 XMPP.Connection). */
export function reconnectWaitS(n: number, c: Pick<XmppConnectionConfig, 'retryInitialS' | 'retryMultiplier' | 'retryMaxS'>, random = Math.random): number {
  const ceiling = Math.min(c.retryInitialS * (c.retryMultiplier / 1000) ** (Math.max(1, n) - 1), c.retryMaxS);
  return random() * ceiling;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
