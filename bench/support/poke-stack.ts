// The stack the poke benchmark drives: real NATS (JetStream) and Redis (and FerretDB, Prosody when asked) from
// @acs/testkit; the registry with its poke router, a gateway and the HTTP connection-request worker in this process,
// each on its own NATS connection; for XMPP, connreq-xmpp, and for UDP, connreq-stun as a process of its own (so its
// CPU and RSS are its own).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createNatsBus, type Bus } from '@acs/bus';
import { connreqHttpConfig, createConnreqHttpWorker, workerSettings } from '@acs/connreq-http';
import { createSubjects, decodePayload, parseConnreqEvent, parseSessionStartedEvent, type ConnreqOutcome, type ConnreqTransport } from '@acs/contracts';
import { BusRegistryClient, createGatewayService, DEFAULT_SETTINGS } from '@acs/cwmp-gateway';
import { busXmppAccounts, createMemoryTokenStore, createRegistryService, createSecretBox, type DeviceStore, type DeviceType } from '@acs/device-registry';
import { createMongoDeviceStore } from '@acs/device-registry/mongo';
import { createSqliteDeviceStore } from '@acs/device-registry/sqlite';
import { createRedisKv } from '@acs/kv';
import type { Logger } from '@acs/telemetry';
import { freePort, spawnOwned, startFerretDb, startNats, startProsody, startRedis, waitReady, type OwnedProcess, type ProsodyServer } from '@acs/testkit';

export const CONNECTION_REQUEST = '6 CONNECTION REQUEST';

/** A poke in flight: arrival times are taken in the bus handler, not when the waiting code resumes. */
export interface Pending {
  readonly deviceId: string;
  readonly t0: number;
  connreq?: { at: number; outcome: ConnreqOutcome; transport: ConnreqTransport | 'none'; detail?: string };
  started?: { at: number };
  startedUnnamed?: boolean;
  wake?: () => void;
}

export interface PokeStackOptions {
  readonly store: 'sqlite' | 'mongo';
  /**
   * `xmpp`: Prosody, connreq-xmpp, and a device type that provisions XMPP on every CPE (the router tries it first).
   * `udp`: connreq-stun, and a device type that provisions STUN on every CPE (UDP first, HTTP as the fallback).
   */
  readonly transport: 'http' | 'xmpp' | 'udp';
  /** The device type's poke deadline. */
  readonly deadlineMs: number;
  readonly logger: Logger;
}

export interface PokeStack {
  readonly cwmpUrl: string;
  readonly publisher: Bus;
  readonly subjects: ReturnType<typeof createSubjects>;
  readonly pending: Map<string, Pending>;
  readonly onboarding: { readonly username: string; readonly password: string };
  readonly store: DeviceStore;
  /** With `transport: 'xmpp'`: the server CPEs log in to, and the worker's process. */
  readonly xmpp?: { readonly prosody: ProsodyServer; readonly worker: OwnedProcess };
  /** With `transport: 'udp'`: connreq-stun's process. */
  readonly stun?: { readonly worker: OwnedProcess };
  stop(): Promise<void>;
}

const CONNREQ_XMPP_MAIN = fileURLToPath(new URL('../../services/connreq-xmpp/dist/main.js', import.meta.url));
const CONNREQ_STUN_MAIN = fileURLToPath(new URL('../../services/connreq-stun/dist/main.js', import.meta.url));

export async function startPokeStack(options: PokeStackOptions): Promise<PokeStack> {
  const { logger } = options;
  const subjects = createSubjects();
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`teardown: ${String(err)}\n`));
  };
  try {
    const acs = { username: 'acs', password: randomBytes(12).toString('base64url') };
    const [nats, redis, ferret, prosody] = await Promise.all([
      startNats(),
      startRedis(),
      options.store === 'mongo' ? startFerretDb() : undefined,
      options.transport === 'xmpp' ? startProsody({ users: [acs] }) : undefined,
    ]);
    cleanups.push(() => nats.stop(), () => redis.stop(), async () => ferret?.stop(), async () => prosody?.stop());
    const bus = async (name: string) => {
      const b = await createNatsBus({ servers: nats.url, name, onError: (err, ctx) => logger.warn({ err, ...ctx }, 'bus error') });
      cleanups.push(() => b.close());
      return b;
    };
    const store: DeviceStore = ferret
      ? // FerretDB's SQLite backend has one writer: one connection queues the writes instead of failing SQLITE_BUSY.
        await createMongoDeviceStore({ uri: `${ferret.url}acs?maxPoolSize=1` })
      : createSqliteDeviceStore({ filename: ':memory:' });
    cleanups.push(() => store.close());

    const onboarding = { username: 'bench-onboard', password: randomBytes(12).toString('base64url') };
    const registryBus = await bus('registry');
    const transports: ConnreqTransport[] = options.transport === 'http' ? ['http'] : [options.transport, 'http'];
    const registry = createRegistryService(
      {
        store,
        bus: registryBus,
        subjects,
        secretBox: createSecretBox(randomBytes(32).toString('base64')),
        logger,
        tokens: createMemoryTokenStore(),
        ...(prosody ? { xmppAccounts: busXmppAccounts(registryBus, subjects) } : {}),
      },
      { realm: 'acs', onboarding, nbi: { host: '127.0.0.1', port: 0 }, transports, adminToken: randomBytes(24).toString('base64url') },
    );
    await registry.start();
    cleanups.push(() => registry.stop());
    const catchAll = (await store.listDeviceTypes()).find((t) => t.catchAll) as DeviceType;
    const xmppPolicy = prosody ? { xmpp: { keepAliveInterval: 300 } } : {};
    // Integrity required, as an operator would: every CPE's first Binding Request gets 401.
    const stunPolicy = options.transport === 'udp' ? { stun: { requireAuth: true, minimumKeepAlivePeriod: 30, maximumKeepAlivePeriod: 60 } } : {};
    await store.updateDeviceType(catchAll.id, { connectionRequestPolicy: { deadlineMs: options.deadlineMs, transports, ...xmppPolicy, ...stunPolicy } }, Date.now());

    // The worker's production defaults, but no per-device spacing: the bench never has two pokes out to one CPE.
    const worker = createConnreqHttpWorker({ bus: await bus('connreq-http'), subjects, logger, ...workerSettings(connreqHttpConfig.load({})), minIntervalPerDeviceMs: 0 });
    await worker.start();
    cleanups.push(() => worker.stop());
    const xmppWorker = prosody ? await startConnreqXmpp(nats.url, prosody, acs) : undefined;
    if (xmppWorker) cleanups.push(() => xmppWorker.stop());
    const stunWorker = options.transport === 'udp' ? await startConnreqStun(nats.url, redis.url) : undefined;
    if (stunWorker) cleanups.push(() => stunWorker.stop());

    const kv = createRedisKv(redis.url);
    cleanups.push(() => kv.close());
    const gatewayBus = await bus('gateway');
    const gateway = createGatewayService(
      { kv, bus: gatewayBus, subjects, logger, registry: new BusRegistryClient({ bus: gatewayBus, subjects, timeoutMs: 60_000 }) },
      { gateway: { ...DEFAULT_SETTINGS, nonceSecret: randomBytes(32).toString('base64url') }, listen: { host: '127.0.0.1', port: 0 } },
    );
    const { url: cwmpUrl } = await gateway.start();
    cleanups.push(() => gateway.stop());

    const pending = new Map<string, Pending>();
    const watcher = await bus('watcher');
    const events = watcher.subscribe(subjects.evt.all, (msg) => {
      const at = performance.now();
      const kind = subjects.parse(msg.subject)?.kind;
      if (kind === 'connreq') {
        const e = decodePayload(msg.data, parseConnreqEvent);
        const p = e.ok ? pending.get(e.value.requestId) : undefined;
        if (!e.ok || !p || p.connreq) return;
        p.connreq = { at, outcome: e.value.outcome, transport: e.value.transport, ...(e.value.detail === undefined ? {} : { detail: e.value.detail }) };
        p.wake?.();
      } else if (kind === 'session.started') {
        const e = decodePayload(msg.data, parseSessionStartedEvent);
        if (!e.ok || !e.value.eventCodes.includes(CONNECTION_REQUEST)) return;
        const named = e.value.requestId === undefined ? undefined : pending.get(e.value.requestId);
        if (named && !named.started) {
          named.started = { at };
          named.wake?.();
          return;
        }
        // A connection-request session the registry did not tie to a poke: counted, not timed.
        for (const p of pending.values()) {
          if (p.deviceId === e.value.deviceId && p.connreq && !p.started) {
            p.startedUnnamed = true;
            p.wake?.();
          }
        }
      }
    });
    cleanups.push(() => events.unsubscribe());
    await watcher.flush();

    return {
      cwmpUrl,
      publisher: await bus('nbi'),
      subjects,
      pending,
      onboarding,
      store,
      ...(prosody && xmppWorker ? { xmpp: { prosody, worker: xmppWorker } } : {}),
      ...(stunWorker ? { stun: { worker: stunWorker } } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** connreq-xmpp's own main.js, ready once its /readyz says the XMPP session is online and the consumer runs. */
async function startConnreqXmpp(natsUrl: string, prosody: ProsodyServer, acs: { username: string; password: string }): Promise<OwnedProcess> {
  const healthPort = await freePort();
  const proc = spawnOwned(process.execPath, [CONNREQ_XMPP_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      NATS_URL: natsUrl,
      CONNREQ_XMPP_SERVICE: `xmpp://${prosody.host}:${prosody.port}`,
      CONNREQ_XMPP_DOMAIN: prosody.domain,
      CONNREQ_XMPP_USERNAME: acs.username,
      CONNREQ_XMPP_PASSWORD: acs.password,
      CONNREQ_XMPP_CA_FILE: prosody.caFile,
      CONNREQ_XMPP_MIN_INTERVAL_MS: '0',
      CONNREQ_XMPP_HEALTH_PORT: String(healthPort),
    },
  });
  await waitReady(proc, 'connreq-xmpp', async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok, 60_000);
  return proc;
}

/** connreq-stun's own main.js on a free loopback port, ready once its /readyz says the socket and the consumer run. */
export async function startConnreqStun(natsUrl: string, redisUrl: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<OwnedProcess & { readonly stunPort: number }> {
  const [healthPort, stunPort] = await Promise.all([freePort(), freePort()]);
  const proc = spawnOwned(process.execPath, [...nodeArgs, CONNREQ_STUN_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      STUN_HOST: '127.0.0.1',
      STUN_PORT: String(stunPort),
      STUN_SECRET: randomBytes(24).toString('base64url'),
      CONNREQ_UDP_MIN_INTERVAL_MS: '0',
      CONNREQ_STUN_HEALTH_PORT: String(healthPort),
      ...env,
    },
  });
  await waitReady(proc, 'connreq-stun', async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok, 60_000);
  return Object.assign(proc, { stunPort });
}
