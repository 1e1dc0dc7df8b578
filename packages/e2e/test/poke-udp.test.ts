import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createNatsBus, type Bus } from '@acs/bus';
import { createConnreqHttpWorker, type ConnreqHttpWorker } from '@acs/connreq-http';
import { createConnreqStunService, type Binding, type ConnreqStunService } from '@acs/connreq-stun';
import { createSubjects, deviceIdFromParts, type ConnreqEvent } from '@acs/contracts';
import { createFleet, type Cpe, type Fleet } from '@acs/cpe-sim';
import type { GatewayService } from '@acs/cwmp-gateway';
import { createMemoryTokenStore, createRegistryService, createSecretBox, type DeviceStore, type DeviceType, type RegistryService } from '@acs/device-registry';
import { createSqliteDeviceStore } from '@acs/device-registry/sqlite';
import { createRedisKv, type Kv, type SessionStore } from '@acs/kv';
import { encodeUdpConnectionRequest, newUdpConnectionRequestFields } from '@acs/stun';
import { createLogger } from '@acs/telemetry';
import { startNats, startRedis, type NatsServer, type RedisServer } from '@acs/testkit';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBusGateway, watchPokeEvents, type PokeEvents } from './support/poke-events.js';
import { waitFor } from './support/poll.js';

// UDP connection requests (Annex G) through the ACS's own TR-111 STUN server, end to end on real NATS and Redis:
// the registry (SQLite) provisions STUN on TR-181 and TR-098 CPEs (credentials from connreq-stun, 401 answered with
// integrity), learns each binding from connreq-stun's event, and routes pokes over UDP first, HTTP as the fallback.
// Every component has its own NATS connection, as separate processes would.

const PER_MODEL = 100;
const DEADLINE_MS = 10_000;
const CONNECTION_REQUEST = '6 CONNECTION REQUEST';
const subjects = createSubjects();
const logger = createLogger({ service: 'e2e-udp', level: process.env.E2E_SERVICE_LOGS === '1' ? 'debug' : 'silent' });
const onboarding = { username: 'udp-onboard', password: randomBytes(12).toString('base64url') };

describe('end to end: UDP connection requests through the ACS’s STUN server (TR-111, Annex G)', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  const buses: Bus[] = [];
  let store: DeviceStore;
  let registry: RegistryService;
  let httpWorker: ConnreqHttpWorker;
  let stun: ConnreqStunService;
  let gateway: GatewayService;
  let kv: Kv;
  let stunKv: Kv;
  let pokeEvents: PokeEvents;
  let cwmpUrl: string;
  let sender: Socket;
  const fleets: Fleet[] = [];
  let tr181: Fleet;
  let tr098: Fleet;

  const bus = async (name: string) => {
    const b = await createNatsBus({ servers: nats.url, name, onError: (err, ctx) => logger.warn({ err, ...ctx }, 'bus error') });
    buses.push(b);
    return b;
  };
  const idOf = (cpe: Cpe) => deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
  const udpAddressOf = async (cpe: Cpe) => (await store.getDevice(idOf(cpe)))?.connectionRequest.udpConnectionRequestAddress ?? undefined;
  const sessionsOf = (cpe: Cpe) => pokeEvents.started.filter((s) => s.deviceId === idOf(cpe) && s.eventCodes.includes(CONNECTION_REQUEST)).length;

  async function poke(deviceId: string): Promise<{ requestId: string; event: ConnreqEvent }> {
    const requestId = randomUUID();
    await buses[0]?.publishDurable(subjects.cmd.poke, { deviceId, requestId }, { msgId: requestId });
    const event = await waitFor(`the connreq event of ${requestId}`, async () => pokeEvents.connreq.get(requestId), DEADLINE_MS + 15_000);
    return { requestId, event };
  }

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const secretBox = createSecretBox(randomBytes(32).toString('base64'));
    store = createSqliteDeviceStore({ filename: ':memory:' });
    registry = createRegistryService(
      { store, bus: await bus('registry'), subjects, secretBox, logger, tokens: createMemoryTokenStore() },
      { realm: 'acs', onboarding, nbi: { host: '127.0.0.1', port: 0 }, transports: ['http', 'udp'] },
    );
    await registry.start();
    const catchAll = (await store.listDeviceTypes()).find((t) => t.catchAll) as DeviceType;
    await store.updateDeviceType(
      catchAll.id,
      { connectionRequestPolicy: { deadlineMs: DEADLINE_MS, transports: ['udp', 'http'], stun: { requireAuth: true, minimumKeepAlivePeriod: 30, maximumKeepAlivePeriod: 60 } } },
      Date.now(),
    );

    httpWorker = createConnreqHttpWorker({
      bus: await bus('connreq-http'),
      subjects,
      logger,
      concurrency: 16,
      minIntervalPerDeviceMs: 0,
      retry: { baseMs: 100, maxMs: 400 },
      http: { connectTimeoutMs: 1_000, timeoutMs: 5_000 },
    });
    await httpWorker.start();
    stunKv = createRedisKv(redis.url, { prefix: 'acs:stun:' });
    stun = createConnreqStunService(
      { bus: await bus('connreq-stun'), subjects, logger, bindings: stunKv.sessions as SessionStore<Binding> },
      {
        listen: { host: '127.0.0.1', port: 0 },
        secret: randomBytes(24).toString('base64url'),
        publicServer: { address: '127.0.0.1', port: 0 },
        replica: 'stun-e2e',
        lookup: { ttlMs: 60_000, negativeTtlMs: 1_000 },
        cacheEntries: 10_000,
        udp: { copies: 3, intervalMs: 50, sessionWaitMs: 3_000, addressMaxAgeMs: 600_000 },
        worker: { concurrency: 512, minIntervalPerDeviceMs: 0, retry: { baseMs: 100, maxMs: 1_000 } },
      },
    );
    await stun.start();

    kv = createRedisKv(redis.url);
    ({ gateway, cwmpUrl } = await startBusGateway({ bus: await bus('gateway'), kv, subjects, logger }));
    pokeEvents = await watchPokeEvents(await bus('watcher'), subjects);
    sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));

    const fleet = (model: 'tr181' | 'tr098', serialPrefix: string) =>
      createFleet({
        acsUrl: cwmpUrl,
        count: PER_MODEL,
        model,
        serialPrefix,
        username: onboarding.username,
        password: onboarding.password,
        connectionRequest: { host: '127.0.0.1' },
        xmpp: false,
        stun: {},
        retry: false,
        // Protocol seconds of 50 ms: STUNMaximumKeepAlivePeriod 60 is a keep-alive every 3 s.
        secondMs: 50,
        httpTimeoutMs: 30_000,
      });
    tr181 = fleet('tr181', 'UD');
    tr098 = fleet('tr098', 'UI');
    fleets.push(tr181, tr098);
    await Promise.all(fleets.map((f) => f.start()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    sender?.close();
    await pokeEvents?.stop();
    await gateway?.stop();
    await stun?.stop();
    await httpWorker?.stop();
    await registry?.stop();
    await kv?.close();
    await stunKv?.close();
    await Promise.all(buses.map((b) => b.close()));
    await store?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('provisions STUN on TR-181 and TR-098 fleets: 401 answered with integrity, every binding learned by the registry', async () => {
    const boot = await Promise.all(fleets.map((f) => f.run({ sessions: PER_MODEL, events: ['0 BOOTSTRAP', '1 BOOT'] })));
    expect(boot.flat().filter((r) => r.error !== undefined).map((r) => r.error?.message)).toEqual([]);
    const all = fleets.flatMap((f) => [...f.cpes]);
    await waitFor('every CPE to hold a STUN binding', async () => (fleets.every((f) => f.stunStatus().bound === PER_MODEL) ? true : undefined), 60_000);
    // The type requires integrity: each CPE's first request was refused, its next one signed with the issued password.
    for (const f of fleets) expect(f.stunStatus().unauthorized).toBeGreaterThanOrEqual(PER_MODEL);
    await waitFor('every binding to reach the registry', async () => {
      const known = await Promise.all(all.map(async (cpe) => (await udpAddressOf(cpe)) === cpe.stun?.url));
      return known.every(Boolean) ? true : undefined;
    }, 60_000);
    for (const [cpe, root] of [
      [tr181.cpes[0], 'Device.'],
      [tr098.cpes[0], 'InternetGatewayDevice.'],
    ] as const) {
      if (!cpe) throw new Error('empty fleet');
      expect(cpe.model.getValue(`${root}ManagementServer.STUNEnable`)).toBe('true');
      expect(cpe.model.getValue(`${root}ManagementServer.STUNServerPort`)).toBe(String(stun.address().port));
      expect(cpe.model.getValue(`${root}ManagementServer.STUNUsername`)).toBe(idOf(cpe));
      expect(await udpAddressOf(cpe)).toMatch(/^127\.0\.0\.1:\d+$/);
      // The password connreq-stun derived is nowhere in the registry's tree.
      const stored = await store.getParameters(idOf(cpe), `${root}ManagementServer.STUNPassword`);
      expect(stored.map((p) => p.value).filter((v) => v !== '')).toEqual([]);
      const tasks = (await store.listTasks({ deviceId: idOf(cpe) })).items.filter((t) => t.type === 'provisionStun');
      expect(tasks.map((t) => t.status)).toEqual(['done']);
    }
    expect(stun.server.counters.changes).toBeGreaterThanOrEqual(2 * PER_MODEL);
  }, 180_000);

  it('200 pokes over UDP: 200 accepted, 200 sessions with 6 CONNECTION REQUEST naming their poke', async () => {
    const all = fleets.flatMap((f) => [...f.cpes]);
    await Promise.all(all.map((cpe) => cpe.whenIdle()));
    const results = await Promise.all(all.map((cpe) => poke(idOf(cpe))));
    expect(results.filter((r) => r.event.outcome !== 'accepted').map((r) => r.event)).toEqual([]);
    expect(new Set(results.map((r) => r.event.transport))).toEqual(new Set(['udp']));
    const ids = new Set(results.map((r) => r.requestId));
    const answered = () => pokeEvents.started.filter((s) => s.requestId !== undefined && ids.has(s.requestId) && s.eventCodes.includes(CONNECTION_REQUEST)).length;
    await waitFor('a 6 CONNECTION REQUEST session for every poke', async () => (answered() === ids.size ? true : undefined), 60_000);
    // Three copies of each request reached its CPE; the repeats were ignored as duplicates.
    const udp = fleets.map((f) => f.stunStatus().udpConnectionRequests);
    expect(udp.reduce((n, u) => n + u.accepted, 0)).toBe(2 * PER_MODEL);
    expect(udp.reduce((n, u) => n + u.duplicate, 0)).toBeGreaterThan(0);
    await Promise.all(all.map((cpe) => cpe.whenIdle()));
  }, 180_000);

  it('a wrong connection-request password: the CPE ignores the UDP request (timeout), the HTTP fallback ends auth_failed', async () => {
    const cpe = tr181.cpes[1] as Cpe;
    cpe.model.setLocal('Device.ManagementServer.ConnectionRequestPassword', 'not-what-the-acs-knows');
    const before = cpe.stun?.counters.udpConnectionRequests.bad_signature ?? 0;
    const { event } = await poke(idOf(cpe));
    expect(event).toMatchObject({ outcome: 'auth_failed', transport: 'http', attempts: [expect.objectContaining({ transport: 'udp', outcome: 'timeout' })] });
    expect(cpe.stun?.counters.udpConnectionRequests.bad_signature).toBeGreaterThan(before);
  }, 60_000);

  it('a replayed UDP connection request does not cause a second session', async () => {
    const cpe = tr098.cpes[2] as Cpe;
    await cpe.whenIdle();
    const root = 'InternetGatewayDevice.ManagementServer.';
    const credentials = { username: cpe.model.getValue(`${root}ConnectionRequestUsername`) ?? '', password: cpe.model.getValue(`${root}ConnectionRequestPassword`) ?? '' };
    const [host, port] = (cpe.stun?.url ?? '').split(':');
    const datagram = encodeUdpConnectionRequest({ host: host!, port: Number(port) }, newUdpConnectionRequestFields(credentials.username, Date.now()), credentials.password);
    const send = () => new Promise<void>((resolve, reject) => sender.send(datagram, Number(port), host, (err) => (err ? reject(err) : resolve())));
    const sessions = sessionsOf(cpe);
    await send();
    await waitFor('the session the request asked for', async () => (sessionsOf(cpe) === sessions + 1 ? true : undefined), 20_000);
    await cpe.whenIdle();
    const duplicates = cpe.stun?.counters.udpConnectionRequests.duplicate ?? 0;
    // Captured and sent again later: the CPE's guard knows its id and ts.
    await send();
    await send();
    await waitFor('the replays to be judged', async () => ((cpe.stun?.counters.udpConnectionRequests.duplicate ?? 0) >= duplicates + 2 ? true : undefined), 10_000);
    await cpe.whenIdle();
    expect(sessionsOf(cpe)).toBe(sessions + 1);
  }, 60_000);
});
