import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNatsBus, type Bus, type Subscription } from '@acs/bus';
import { createConnreqHttpWorker, type ConnreqHttpWorker } from '@acs/connreq-http';
import {
  createSubjects,
  decodePayload,
  deviceIdFromParts,
  parseConnreqEvent,
  parseSessionStartedEvent,
  type ConnreqEvent,
  type SessionStartedEvent,
} from '@acs/contracts';
import { createFleet, type ConnectionRequestBehaviour, type Cpe, type Fleet, type SessionResult } from '@acs/cpe-sim';
import { BusRegistryClient, createCwmpServer, createGateway, DEFAULT_SETTINGS, type Gateway } from '@acs/cwmp-gateway';
import {
  createMemoryTokenStore,
  createNbi,
  createPokeRouter,
  createRegistry,
  createSecretBox,
  type DeviceStore,
  type DeviceType,
  type PokeRouter,
} from '@acs/device-registry';
import { createSqliteDeviceStore } from '@acs/device-registry/sqlite';
import { createRedisKv, type Kv } from '@acs/kv';
import { createLogger } from '@acs/telemetry';
import { freePort, startNats, startRedis, type NatsServer, type RedisServer } from '@acs/testkit';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

// The poke loop end to end on real NATS (JetStream) and Redis: the registry (SQLite store) with its poke router,
// a gateway, the HTTP connection-request worker, and simulated CPEs whose connection-request listeners are on
// loopback. Every component has its own NATS connection, as separate processes would.

const DEADLINE_MS = 3_000;
const CONNECTION_REQUEST = '6 CONNECTION REQUEST';
const subjects = createSubjects();
const logger = createLogger({ service: 'e2e-poke', level: process.env.E2E_SERVICE_LOGS === '1' ? 'debug' : 'silent' });
const onboarding = { username: 'poke-onboard', password: randomBytes(12).toString('base64url') };

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('end to end: pokes through the router and the HTTP connection-request worker', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  const buses: Bus[] = [];
  let store: DeviceStore;
  let router: PokeRouter;
  let worker: ConnreqHttpWorker;
  let gateway: Gateway;
  let server: Server;
  let nbiServer: Server;
  let nbiUrl: string;
  const nbiToken = randomBytes(24).toString('base64url');
  let kv: Kv;
  let cwmpUrl: string;
  let catchAll: DeviceType;
  let events: Subscription;
  const connreqEvents: ConnreqEvent[] = [];
  const started: SessionStartedEvent[] = [];
  const fleets: Fleet[] = [];

  const bus = async (name: string) => {
    const b = await createNatsBus({ servers: nats.url, name, onError: (err, ctx) => logger.warn({ err, ...ctx }, 'bus error') });
    buses.push(b);
    return b;
  };

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const secretBox = createSecretBox(randomBytes(32).toString('base64'));
    store = createSqliteDeviceStore({ filename: ':memory:' });

    const registryBus = await bus('registry');
    await registryBus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
    const registry = createRegistry({ store, bus: registryBus, subjects, secretBox, realm: 'acs', logger });
    catchAll = await registry.ensureCatchAllType(onboarding.username, onboarding.password);
    // Failing pokes end at their deadline (the worker retries refusals and 503s until then): keep it short.
    catchAll = (await store.updateDeviceType(catchAll.id, { connectionRequestPolicy: { deadlineMs: DEADLINE_MS } }, Date.now())) as DeviceType;
    await registry.registerEndpoints();
    router = createPokeRouter({ store, bus: registryBus, subjects, secretBox, logger, transports: ['http'] });
    await router.start();
    const nbi = createNbi({ store, tokens: createMemoryTokenStore(), secretBox, realm: 'acs', logger, bus: registryBus, subjects, adminToken: nbiToken });
    nbiServer = createServer(nbi);
    const nbiPort = await freePort();
    await new Promise<void>((resolve) => nbiServer.listen(nbiPort, '127.0.0.1', resolve));
    nbiUrl = `http://127.0.0.1:${nbiPort}/api/v1`;

    worker = createConnreqHttpWorker({
      bus: await bus('connreq-http'),
      subjects,
      logger,
      concurrency: 8,
      minIntervalPerDeviceMs: 0,
      retry: { baseMs: 100, maxMs: 400 },
      http: { connectTimeoutMs: 1_000, timeoutMs: 10_000 },
    });
    await worker.start();

    const gatewayBus = await bus('gateway');
    kv = createRedisKv(redis.url);
    gateway = createGateway({
      registry: new BusRegistryClient({ bus: gatewayBus, subjects, timeoutMs: 15_000 }),
      sessions: kv.sessions,
      locks: kv.locks,
      rateLimiter: kv.rateLimiter,
      bus: gatewayBus,
      subjects,
      logger,
      settings: { ...DEFAULT_SETTINGS, nonceSecret: randomBytes(32).toString('base64url') },
    });
    server = createCwmpServer(gateway.app, { keepAliveTimeoutMs: 30_000 });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cwmpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cwmp/`;

    const watcher = await bus('watcher');
    events = watcher.subscribe(subjects.evt.all, (msg) => {
      const kind = subjects.parse(msg.subject)?.kind;
      if (kind === 'connreq') {
        const e = decodePayload(msg.data, parseConnreqEvent);
        if (e.ok) connreqEvents.push(e.value);
      } else if (kind === 'session.started') {
        const e = decodePayload(msg.data, parseSessionStartedEvent);
        if (e.ok) started.push(e.value);
      }
    });
    await watcher.flush();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    await events?.unsubscribe();
    await worker?.stop();
    await router?.stop();
    await gateway?.close();
    for (const srv of [server, nbiServer]) await new Promise<void>((resolve) => (srv?.listening ? srv.close(() => resolve()) : resolve()));
    await kv?.close();
    await Promise.all(buses.map((b) => b.close()));
    await store?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  /** A TR-181 CPE with an HTTP connection-request listener, onboarded by its first session. */
  async function onboardedCpe(serialPrefix: string, cr: { host?: string; behaviour?: ConnectionRequestBehaviour } = {}): Promise<{ cpe: Cpe; id: string }> {
    const fleet = createFleet({
      acsUrl: cwmpUrl,
      count: 1,
      serialPrefix,
      username: onboarding.username,
      password: onboarding.password,
      connectionRequest: { host: cr.host ?? '127.0.0.1', ...(cr.behaviour ? { behaviour: cr.behaviour } : {}) },
      retry: false,
      httpTimeoutMs: 20_000,
    });
    fleets.push(fleet);
    await fleet.start();
    const cpe = fleet.cpes[0] as Cpe;
    const first = await cpe.inform([]);
    expect(first.error?.message ?? 'ok').toBe('ok');
    const id = deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
    // Onboarding gave the CPE connection-request credentials of its own and the registry keeps them (sealed).
    expect((await store.getDevice(id))?.connectionRequestAuth?.username).toBe(cpe.model.getValue('Device.ManagementServer.ConnectionRequestUsername'));
    return { cpe, id };
  }

  async function poke(deviceId: string): Promise<{ requestId: string; event: ConnreqEvent; elapsedMs: number }> {
    const requestId = randomUUID();
    const t0 = Date.now();
    await buses[0]?.publishDurable(subjects.cmd.poke, { deviceId, requestId }, { msgId: requestId });
    const event = await waitFor(`the connreq event of ${requestId}`, () => connreqEvents.find((e) => e.requestId === requestId));
    return { requestId, event, elapsedMs: Date.now() - t0 };
  }

  function sessionsOf(cpe: Cpe): SessionResult[] {
    const seen: SessionResult[] = [];
    cpe.onSession((r) => seen.push(r));
    return seen;
  }

  it('accepted: the CPE opens a 6 CONNECTION REQUEST session that runs the queued SetParameterValues task', async () => {
    const { cpe, id } = await onboardedCpe('PKOK');
    const [task] = await store.createTasks(id, [{ type: 'setParameterValues', args: { parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '4321' }] } }], Date.now());
    const sessions = sessionsOf(cpe);
    const { requestId, event, elapsedMs } = await poke(id);
    expect(event).toMatchObject({ requestId, deviceId: id, transport: 'http', outcome: 'accepted' });
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);

    const session = await waitFor('the connection-request session', () => sessions.find((s) => s.events.includes(CONNECTION_REQUEST)));
    expect(session.error?.message ?? 'ok').toBe('ok');
    expect(session.rpcs).toContain('SetParameterValues');
    const done = await waitFor('the task to finish', async () => {
      const t = await store.getTask(task?.id ?? '');
      return t && t.status !== 'pending' && t.status !== 'running' ? t : undefined;
    });
    expect(done.status).toBe('done');
    expect(cpe.model.getValue('Device.ManagementServer.PeriodicInformInterval')).toBe('4321');

    // The loop closes on the requestId: the session.started of that session names the poke it answers.
    const startedEvent = await waitFor('session.started with 6 CONNECTION REQUEST', () => started.find((s) => s.deviceId === id && s.eventCodes.includes(CONNECTION_REQUEST)));
    expect(startedEvent.requestId).toBe(requestId);
    expect((await store.getDevice(id))?.lastPoke?.requestId).toBe(requestId);
    // The onboarding session before it answered no poke and names none.
    expect(started.filter((s) => s.deviceId === id && s.requestId === undefined).map((s) => s.eventCodes)).toEqual([expect.arrayContaining(['0 BOOTSTRAP'])]);
  });

  it('through the NBI: tasks created with ?connect=true run in the session the poke opens; /poke?wait= reports the outcome', async () => {
    const { cpe, id } = await onboardedCpe('PKNBI');
    const sessions = sessionsOf(cpe);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${nbiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${nbiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const created = await call('POST', `/devices/${encodeURIComponent(id)}/tasks?connect=true`, {
      type: 'setParameterValues',
      args: { parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '777' }] },
    });
    expect(created.status).toBe(201);
    const requestId = (created.body.poke as { requestId: string | null }).requestId;
    expect(requestId).toEqual(expect.any(String));
    const event = await waitFor('the poke of ?connect=true', () => connreqEvents.find((e) => e.requestId === requestId));
    expect(event.outcome).toBe('accepted');
    await waitFor('the connection-request session', () => sessions.find((s) => s.events.includes(CONNECTION_REQUEST) && s.rpcs.includes('SetParameterValues')));
    const taskId = (created.body.tasks as { id: string }[])[0]?.id ?? '';
    expect(await waitFor('the task to be done', async () => ((await store.getTask(taskId))?.status === 'done' ? true : undefined))).toBe(true);
    expect(cpe.model.getValue('Device.ManagementServer.PeriodicInformInterval')).toBe('777');

    // The CPE's own connection-request rate limit (1 s) would answer 503 to a poke right behind the last one.
    await waitFor('the CPE to be idle', async () => {
      await cpe.whenIdle();
      return Date.now() - (sessions.at(-1)?.startedAt ?? 0) > 1_100 ? true : undefined;
    });
    const waited = await call('POST', `/devices/${encodeURIComponent(id)}/poke?wait=10`);
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ deviceId: id, outcome: 'accepted', transport: 'http', session: { sessionId: expect.any(String) }, timedOut: false });
  });

  it('auth_failed: a CPE that refuses our Digest answer gets one attempt, no retry, and no session', async () => {
    const { cpe, id } = await onboardedCpe('PKAUTH', { behaviour: 'wrong-password' });
    const { event, elapsedMs } = await poke(id);
    expect(event).toMatchObject({ transport: 'http', outcome: 'auth_failed' });
    // The worker marks retried outcomes "(after N tries)".
    expect(event.detail ?? '').not.toMatch(/after \d+ tries/);
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);
    expect(cpe.pendingEvents().map((e) => e.eventCode)).not.toContain(CONNECTION_REQUEST);
  });

  it.each([
    ['busy', 'rejected', /HTTP 503/],
    ['slow', 'timeout', /^no answer within \d+ ms/],
    ['unreachable', 'unreachable', /ECONNREFUSED/],
  ] as const)('%s CPE: %s by the deadline', async (behaviour, outcome, detail) => {
    const { cpe, id } = await onboardedCpe(`PK${behaviour.toUpperCase()}`, { behaviour });
    const { event, elapsedMs } = await poke(id);
    expect(event).toMatchObject({ transport: 'http', outcome });
    expect(event.detail).toMatch(detail);
    // Bounded by the type's deadline (plus the worker's last round trip).
    expect(elapsedMs).toBeLessThan(DEADLINE_MS + 3_000);
    expect(cpe.pendingEvents().map((e) => e.eventCode)).not.toContain(CONNECTION_REQUEST);
  });

  it('VPN: the type policy rewrites an unreachable ConnectionRequestURL to the address in a parameter', async () => {
    // The CPE listens on 127.0.0.2 but reports 127.0.0.3 (same port and path), where nothing listens.
    const { cpe, id } = await onboardedCpe('PKVPN', { host: '127.0.0.2' });
    const real = new URL(cpe.connectionRequestUrl);
    expect(real.hostname).toBe('127.0.0.2');
    const reported = new URL(real);
    reported.hostname = '127.0.0.3';
    cpe.model.setLocal('Device.ManagementServer.ConnectionRequestURL', reported.href);
    expect((await cpe.inform(['2 PERIODIC'])).error?.message ?? 'ok').toBe('ok');
    expect((await store.getDevice(id))?.connectionRequest.connectionRequestURL).toBe(reported.href);

    // Without the VPN rule the reported URL is a dead address.
    const before = await poke(id);
    expect(before.event).toMatchObject({ outcome: 'unreachable' });

    const vpnType = await store.createDeviceType(
      {
        name: 'vpn-gw',
        onboarding: false,
        connectionRequestPolicy: { deadlineMs: DEADLINE_MS, vpn: { hostFromParameter: 'Device.X_VPN.IPAddress', egress: { localAddress: '127.0.0.1' } } },
      },
      Date.now(),
    );
    const device = await store.getDevice(id);
    if (!device) throw new Error('device vanished');
    await store.upsertDevice({ id, oui: device.oui, productClass: device.productClass, serialNumber: device.serialNumber, deviceTypeId: vpnType.id }, Date.now());
    await store.upsertParameters(id, [{ path: 'Device.X_VPN.IPAddress', value: '127.0.0.2', type: 'xsd:string' }], Date.now());

    const sessions = sessionsOf(cpe);
    const after = await poke(id);
    expect(after.event).toMatchObject({ transport: 'http', outcome: 'accepted' });
    expect((await waitFor('the session.started naming the poke', () => started.find((s) => s.requestId === after.requestId))).deviceId).toBe(id);
    const session = await waitFor('the connection-request session', () => sessions.find((s) => s.events.includes(CONNECTION_REQUEST)));
    expect(session.error?.message ?? 'ok').toBe('ok');
  });

  it('NAT dead end: a private ConnectionRequestURL of a CPE calling from a public address ends no_route at once', async () => {
    const id = deviceIdFromParts('02A0C5', 'SimGW', 'PKNAT000001');
    // Only the registry's record: no command is published, so nothing is ever sent towards 192.168.1.1.
    await store.upsertDevice(
      {
        id,
        oui: '02A0C5',
        productClass: 'SimGW',
        serialNumber: 'PKNAT000001',
        deviceTypeId: catchAll.id,
        sourceIp: '203.0.113.7',
        connectionRequest: { connectionRequestURL: 'http://192.168.1.1:7547/cr' },
      },
      Date.now(),
    );
    const { event, elapsedMs } = await poke(id);
    expect(event).toMatchObject({ transport: 'none', outcome: 'no_route' });
    expect(event.detail).toContain('behind NAT');
    expect(elapsedMs).toBeLessThan(1_000);
    expect((await store.getDevice(id))?.lastPoke).toBeNull();
  });

  it('unknown device: no_route at once', async () => {
    const { event, elapsedMs } = await poke(deviceIdFromParts('02A0C5', 'SimGW', 'NOSUCH'));
    expect(event).toMatchObject({ transport: 'none', outcome: 'no_route', detail: 'unknown device' });
    expect(elapsedMs).toBeLessThan(1_000);
  });
});
