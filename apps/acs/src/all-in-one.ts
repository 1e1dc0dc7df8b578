import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createMemoryBus } from '@acs/bus';
import { connreqHttpConfig, createConnreqHttpWorker, workerSettings, type ConnreqHttpWorkerOptions } from '@acs/connreq-http';
import { createSubjects, DEFAULT_SUBJECT_PREFIX } from '@acs/contracts';
import { createCwmpServer, createGateway, DEFAULT_SETTINGS, type GatewaySettings } from '@acs/cwmp-gateway';
import { inProcessRegistryClient } from './in-process-registry.js';
import {
  createFileTokenStore,
  createNbi,
  createPokeRouter,
  createRegistry,
  createSecretBox,
  ensureAdminToken,
  type RegistryPolicy,
} from '@acs/device-registry';
import { createSqliteDeviceStore } from '@acs/device-registry/sqlite';
import { createMemoryKv } from '@acs/kv';
import { createLogger, type Logger } from '@acs/telemetry';
import { ensureDataDir, loadOrCreateSecret } from './data-dir.js';

export const DEFAULT_CWMP_PORT = 7547;
export const DEFAULT_NBI_PORT = 7557;
/** Loopback unless told otherwise: exposing the ACS is a decision (`0.0.0.0`), never a default. */
export const DEFAULT_HOST = '127.0.0.1';
export const DATABASE_FILE = 'acs.sqlite';
export const SECRET_KEY_FILE = 'secret-key';
export const NONCE_SECRET_FILE = 'nonce-secret';
/** How long stop() lets requests in flight finish before it closes their connections. */
export const DRAIN_TIMEOUT_MS = 5_000;

export interface Listen {
  host?: string;
  /** 0: any free port (the URL in the result has the real one). */
  port?: number;
}

export interface AllInOneOptions {
  /** SQLite database, generated secrets and NBI tokens live here (created if missing). */
  dataDir: string;
  cwmp?: Listen;
  nbi?: Listen;
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
  /** Tuning of the in-process HTTP connection-request worker; unset: the connreq-http service's defaults. */
  connreqHttp?: ConnreqHttpSettings;
  logger?: Logger;
}

export type ConnreqHttpSettings = Pick<ConnreqHttpWorkerOptions, 'concurrency' | 'minIntervalPerDeviceMs' | 'retry' | 'http' | 'ackWaitMs' | 'maxDeliver'>;

export interface AllInOne {
  /** e.g. http://127.0.0.1:7547/cwmp/ */
  readonly cwmpUrl: string;
  /** e.g. http://127.0.0.1:7557/api/v1 */
  readonly nbiUrl: string;
  /** Set only on the start that created it: show it once, it is stored hashed. */
  readonly adminToken?: string;
  readonly dataDir: string;
  /** Stops taking requests, lets those in flight finish, then closes the bus, the kv and the database. */
  stop(): Promise<void>;
}

/**
 * The whole ACS in one process with the embedded adapters: SQLite store, in-process bus, in-memory
 * kv. The same factories as the separate services (createRegistry, createGateway, createNbi,
 * createPokeRouter, createConnreqHttpWorker), so the CWMP, NBI and poke behaviour is theirs; only the
 * adapters differ.
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
  const servers: Server[] = [];
  // Pokes work with no infrastructure too: the router and the HTTP worker consume the in-process command stream.
  const router = createPokeRouter({ store, bus, subjects, secretBox, logger });
  const connreqHttp = createConnreqHttpWorker({ bus, subjects, logger, ...(options.connreqHttp ?? workerSettings(connreqHttpConfig.load({}))) });
  const closeAll = async () => {
    await Promise.all(servers.map((s) => closeServer(s)));
    await router.stop().catch((err: unknown) => logger.warn({ err }, 'poke router stop failed'));
    await connreqHttp.stop().catch((err: unknown) => logger.warn({ err }, 'connreq-http worker stop failed'));
    await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
    await kv.close();
    await store.close();
  };

  try {
    await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
    const registry = createRegistry({ store, bus, subjects, secretBox, realm: settings.realm, logger, ...(options.policy ? { policy: options.policy } : {}) });
    if (options.onboarding) await registry.ensureCatchAllType(options.onboarding.username, options.onboarding.password);
    await registry.registerEndpoints();
    await router.start();
    await connreqHttp.start();

    const gateway = createGateway({
      registry: inProcessRegistryClient(registry, logger),
      sessions: kv.sessions,
      locks: kv.locks,
      rateLimiter: kv.rateLimiter,
      bus,
      subjects,
      logger,
      settings,
    });

    const tokens = createFileTokenStore({ dir: dataDir });
    const bootstrap = await ensureAdminToken(tokens, options.nbiToken);
    const nbi = createNbi({
      store,
      tokens,
      secretBox,
      realm: settings.realm,
      logger,
      bus,
      subjects,
      ...(options.nbiToken === undefined ? {} : { adminToken: options.nbiToken }),
    });

    const cwmpServer = createCwmpServer(gateway.app, { keepAliveTimeoutMs: settings.sessionTimeoutMs });
    servers.push(cwmpServer);
    const cwmpAddress = await listen(cwmpServer, options.cwmp?.host ?? DEFAULT_HOST, options.cwmp?.port ?? DEFAULT_CWMP_PORT);
    const nbiServer = createServer(nbi);
    servers.push(nbiServer);
    const nbiAddress = await listen(nbiServer, options.nbi?.host ?? DEFAULT_HOST, options.nbi?.port ?? DEFAULT_NBI_PORT);

    let stopping: Promise<void> | undefined;
    return {
      cwmpUrl: `http://${urlHost(cwmpAddress)}:${cwmpAddress.port}${settings.path}`,
      nbiUrl: `http://${urlHost(nbiAddress)}:${nbiAddress.port}/api/v1`,
      ...(bootstrap.token === undefined ? {} : { adminToken: bootstrap.token }),
      dataDir,
      stop() {
        stopping ??= (async () => {
          await gateway.close();
          await closeAll();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await closeAll().catch((closeErr: unknown) => logger.warn({ err: closeErr }, 'cleanup after a failed start failed'));
    throw err;
  }
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

function urlHost(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

/** Closes a server gracefully: idle keep-alive connections at once, busy ones after DRAIN_TIMEOUT_MS. */
function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      done();
    });
    server.closeIdleConnections();
  });
}
