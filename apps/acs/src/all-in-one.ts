import { join, resolve } from 'node:path';
import { createMemoryBus } from '@acs/bus';
import { connreqHttpConfig, createConnreqHttpService, workerSettings, type ConnreqHttpServiceSettings } from '@acs/connreq-http';
import { createConnreqStunService, type Binding, type ConnreqStunSettings } from '@acs/connreq-stun';
import { createConnreqXmppService, type ConnreqXmppSettings } from '@acs/connreq-xmpp';
import { createSubjects, DEFAULT_SUBJECT_PREFIX, type ConnreqTransport } from '@acs/contracts';
import { createGatewayService, DEFAULT_SETTINGS, type GatewaySettings, type GatewayServiceSettings } from '@acs/cwmp-gateway';
import { busXmppAccounts, createFileTokenStore, createRegistryService, createSecretBox, type RegistryPolicy } from '@acs/device-registry';
import { createSqliteDeviceStore } from '@acs/device-registry/sqlite';
import { createMemoryKv, MemorySessionStore } from '@acs/kv';
import { createLogger, type Logger } from '@acs/telemetry';
import { ensureDataDir, loadOrCreateSecret } from './data-dir.js';
import { inProcessRegistryClient } from './in-process-registry.js';

export const DEFAULT_CWMP_PORT = 7547;
export const DEFAULT_NBI_PORT = 7557;
/** Loopback unless told otherwise: exposing the ACS is a decision (`0.0.0.0`), never a default. */
export const DEFAULT_HOST = '127.0.0.1';
export const DATABASE_FILE = 'acs.sqlite';
export const SECRET_KEY_FILE = 'secret-key';
export const NONCE_SECRET_FILE = 'nonce-secret';
export const STUN_SECRET_FILE = 'stun-secret';
export const DEFAULT_STUN_PORT = 3478;

/** The connection-request transports whose workers this process runs (XMPP only with a server); the router plans no other. */
export function inProcessTransports(workers: { readonly xmpp: boolean; readonly stun: boolean }): readonly ConnreqTransport[] {
  return [...(workers.xmpp ? ['xmpp' as const] : []), 'http', ...(workers.stun ? ['udp' as const] : [])];
}

/** The STUN server's settings; the secret, unset, is generated on the first start and kept in the data dir. */
export type AllInOneStunSettings = Omit<ConnreqStunSettings, 'secret'> & { readonly secret?: string };

export interface Listen {
  host?: string;
  /** 0: any free port (the URL in the result has the real one). */
  port?: number;
}

export interface AllInOneOptions {
  /** SQLite database, generated secrets and NBI tokens live here (created if missing). */
  dataDir: string;
  cwmp?: Listen;
  /** CWMP_TLS_CERT_FILE/KEY_FILE: the CWMP endpoint over HTTPS (then `cwmpUrl` is https). */
  cwmpTls?: GatewayServiceSettings['tls'];
  nbi?: Listen;
  /** NBI_TOKEN_DIR: where NBI tokens live; unset: the data dir. */
  nbiTokenDir?: string;
  /** ACS_SECRET_KEY (32 bytes base64); unset: generated on first start and kept in the data dir. */
  secretKey?: string;
  /** CWMP_NONCE_SECRET; unset: generated on first start and kept in the data dir (nonces survive a restart). */
  nonceSecret?: string;
  /** ACS_NBI_TOKEN: an admin bearer token; unset: one is created on first start and returned once. */
  nbiToken?: string;
  /** ACS_ONBOARDING_USERNAME/PASSWORD: a catch-all device type admitting any CPE that presents them. */
  onboarding?: { username: string; password: string };
  subjectPrefix?: string;
  /** Gateway settings other than the nonce secret (realm, path, timeouts, Basic...). */
  gateway?: Partial<Omit<GatewaySettings, 'nonceSecret'>>;
  policy?: Partial<RegistryPolicy>;
  /** REGISTRY_CONNREQ_TRANSPORTS: those the poke router plans, among the in-process ones; unset: all of them. */
  transports?: readonly ConnreqTransport[];
  /** CONNREQ_XMPP_*: run the XMPP connection-request worker against this server (and provision XMPP on CPEs). */
  xmpp?: ConnreqXmppSettings;
  /** STUN_*, CONNREQ_UDP_*: run the TR-111 STUN server and the UDP connection-request worker (and provision STUN). */
  stun?: AllInOneStunSettings;
  /** Tuning of the in-process HTTP connection-request worker; unset: the connreq-http service's defaults. */
  connreqHttp?: ConnreqHttpSettings;
  logger?: Logger;
}

export type ConnreqHttpSettings = ConnreqHttpServiceSettings;

export interface AllInOne {
  /** e.g. http://127.0.0.1:7547/cwmp/ */
  readonly cwmpUrl: string;
  /** e.g. http://127.0.0.1:7557/api/v1 */
  readonly nbiUrl: string;
  /** Set only on the start that created it: show it once, it is stored hashed. */
  readonly adminToken?: string;
  readonly dataDir: string;
  /** The XMPP worker's server and the ACS's JID, when one runs. */
  readonly xmpp?: { readonly server: string; readonly jid: string };
  /** The STUN server's socket, when one runs. */
  readonly stun?: { readonly host: string; readonly port: number };
  /** Stops taking requests, lets those in flight finish, then closes the bus, the kv and the database. */
  stop(): Promise<void>;
}

/**
 * The whole ACS in one process with the embedded adapters: SQLite store, in-process bus, in-memory kv. The units
 * are the separate services' own (createRegistryService, createConnreqHttpService, createGatewayService), so the
 * CWMP, NBI and poke behaviour is theirs; only the adapters differ, and the gateway calls the registry in-process.
 */
export async function createAllInOne(options: AllInOneOptions): Promise<AllInOne> {
  const dataDir = ensureDataDir(resolve(options.dataDir));
  const logger = options.logger ?? createLogger({ service: 'acs' });
  const secretKey = options.secretKey ?? loadOrCreateSecret(dataDir, SECRET_KEY_FILE).value;
  const nonceSecret = options.nonceSecret ?? loadOrCreateSecret(dataDir, NONCE_SECRET_FILE).value;
  const secretBox = createSecretBox(secretKey);
  const settings: GatewaySettings = { ...DEFAULT_SETTINGS, ...options.gateway, nonceSecret };
  const subjects = createSubjects(options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX);

  const store = createSqliteDeviceStore({ filename: join(dataDir, DATABASE_FILE) });
  const bus = createMemoryBus({ onError: (err, context) => logger.warn({ err, ...context }, 'bus error') });
  const kv = createMemoryKv();
  const running = inProcessTransports({ xmpp: options.xmpp !== undefined, stun: options.stun !== undefined });
  const transports = options.transports ?? running;
  const missing = transports.filter((t) => !running.includes(t));
  if (missing.length > 0) throw new RangeError(`no ${missing.join(', ')} connection-request worker runs in the all-in-one (it runs ${running.join(', ')})`);
  const xmppAccounts = options.xmpp && transports.includes('xmpp') ? { xmppAccounts: busXmppAccounts(bus, subjects) } : {};
  const registry = createRegistryService(
    { store, bus, subjects, secretBox, logger, tokens: createFileTokenStore({ dir: options.nbiTokenDir ?? dataDir }), ...xmppAccounts },
    {
      realm: settings.realm,
      nbi: { host: options.nbi?.host ?? DEFAULT_HOST, port: options.nbi?.port ?? DEFAULT_NBI_PORT },
      transports,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.onboarding ? { onboarding: options.onboarding } : {}),
      ...(options.nbiToken === undefined ? {} : { adminToken: options.nbiToken }),
    },
  );
  // Pokes work with no infrastructure too: the router and the HTTP worker consume the in-process command stream.
  const connreqHttp = createConnreqHttpService({ bus, subjects, logger }, options.connreqHttp ?? workerSettings(connreqHttpConfig.load({})));
  const xmpp = options.xmpp ? createConnreqXmppService({ bus, subjects, logger }, options.xmpp) : undefined;
  const stun = options.stun
    ? createConnreqStunService(
        { bus, subjects, logger, bindings: new MemorySessionStore<Binding>() },
        { ...options.stun, secret: options.stun.secret ?? loadOrCreateSecret(dataDir, STUN_SECRET_FILE).value },
      )
    : undefined;
  const gateway = createGatewayService(
    { registry: inProcessRegistryClient(registry.registry, logger), kv, bus, subjects, logger },
    {
      gateway: settings,
      listen: { host: options.cwmp?.host ?? DEFAULT_HOST, port: options.cwmp?.port ?? DEFAULT_CWMP_PORT },
      ...(options.cwmpTls ? { tls: options.cwmpTls } : {}),
    },
  );
  // Started in this order, stopped in the reverse one.
  const units: ReadonlyArray<{ stop(): Promise<void> }> = [registry, connreqHttp, ...(xmpp ? [xmpp] : []), ...(stun ? [stun] : []), gateway];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // The gateway first: its sessions in flight still reach the registry; the adapters once nothing uses them.
      for (const unit of [...units].reverse()) await unit.stop().catch((err: unknown) => logger.warn({ err }, 'stop failed'));
      await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
      await kv.close();
      await store.close();
    })();
    return stopping;
  };

  try {
    const started = await registry.start();
    await connreqHttp.start();
    // Not waiting for the XMPP session: pokes taken meanwhile are retried until it is online (or their deadline).
    await xmpp?.start();
    await stun?.start();
    const { url: cwmpUrl } = await gateway.start();
    return {
      cwmpUrl,
      nbiUrl: started.nbiUrl,
      ...(started.adminToken === undefined ? {} : { adminToken: started.adminToken }),
      dataDir,
      ...(xmpp ? { xmpp: { server: xmpp.session.server, jid: xmpp.session.bareJid } } : {}),
      ...(stun ? { stun: { host: stun.address().address, port: stun.address().port } } : {}),
      stop,
    };
  } catch (err) {
    await stop().catch((closeErr: unknown) => logger.warn({ err: closeErr }, 'cleanup after a failed start failed'));
    throw err;
  }
}
