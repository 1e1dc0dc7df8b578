import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createNatsBus, type Bus } from '@acs/bus';
import { createConnreqHttpWorker, type ConnreqHttpWorker } from '@acs/connreq-http';
import { createConnreqXmppService, parseXmppService, type ConnreqXmppService } from '@acs/connreq-xmpp';
import { createSubjects, deviceIdFromParts, type ConnreqEvent } from '@acs/contracts';
import { createFleet, type Cpe, type Fleet } from '@acs/cpe-sim';
import type { GatewayService } from '@acs/cwmp-gateway';
import { busXmppAccounts, createMemoryTokenStore, createRegistryService, createSecretBox, type DeviceStore, type DeviceType, type RegistryService } from '@acs/device-registry';
import { createSqliteDeviceStore } from '@acs/device-registry/sqlite';
import { createRedisKv, type Kv } from '@acs/kv';
import { createLogger } from '@acs/telemetry';
import { startNats, startProsody, startRedis, type NatsServer, type ProsodyServer, type RedisServer } from '@acs/testkit';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startBusGateway, watchPokeEvents, type PokeEvents } from './support/poke-events.js';
import { waitFor } from './support/poll.js';

// XMPP connection requests end to end on real NATS, Redis and Prosody: the registry (SQLite) provisions XMPP on
// TR-181 and TR-098 CPEs through their profile (account created on Prosody by connreq-xmpp, XMPP.Connection set by
// SetParameterValues), learns each CPE's ConnReqJabberID from its VALUE CHANGE Inform, and then routes pokes over
// XMPP first, HTTP as the fallback. Every component has its own NATS connection, as separate processes would.

const PER_MODEL = 100;
const DEADLINE_MS = 8_000;
const CONNECTION_REQUEST = '6 CONNECTION REQUEST';
const subjects = createSubjects();
const logger = createLogger({ service: 'e2e-xmpp', level: process.env.E2E_SERVICE_LOGS === '1' ? 'debug' : 'silent' });
const onboarding = { username: 'xmpp-onboard', password: randomBytes(12).toString('base64url') };
const acsAccount = { username: 'acs', password: randomBytes(12).toString('base64url') };

describe('end to end: XMPP connection requests (Annex K) provisioned by the ACS', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  let prosody: ProsodyServer;
  const buses: Bus[] = [];
  let store: DeviceStore;
  let registry: RegistryService;
  let httpWorker: ConnreqHttpWorker;
  let xmpp: ConnreqXmppService;
  let gateway: GatewayService;
  let kv: Kv;
  let pokeEvents: PokeEvents;
  let cwmpUrl: string;
  const fleets: Fleet[] = [];
  let tr181: Fleet;
  let tr098: Fleet;
  let nbiUrl: string;
  const nbiToken = randomBytes(24).toString('base64url');

  const bus = async (name: string) => {
    const b = await createNatsBus({ servers: nats.url, name, onError: (err, ctx) => logger.warn({ err, ...ctx }, 'bus error') });
    buses.push(b);
    return b;
  };
  const idOf = (cpe: Cpe) => deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
  const jidOf = async (cpe: Cpe) => (await store.getDevice(idOf(cpe)))?.connectionRequest.connReqJabberID ?? undefined;

  async function poke(deviceId: string): Promise<{ requestId: string; event: ConnreqEvent }> {
    const requestId = randomUUID();
    await buses[0]?.publishDurable(subjects.cmd.poke, { deviceId, requestId }, { msgId: requestId });
    const event = await waitFor(`the connreq event of ${requestId}`, async () => pokeEvents.connreq.get(requestId), DEADLINE_MS + 15_000);
    return { requestId, event };
  }

  beforeAll(async () => {
    [nats, redis, prosody] = await Promise.all([startNats(), startRedis(), startProsody({ users: [acsAccount] })]);
    const secretBox = createSecretBox(randomBytes(32).toString('base64'));
    store = createSqliteDeviceStore({ filename: ':memory:' });
    const registryBus = await bus('registry');
    registry = createRegistryService(
      { store, bus: registryBus, subjects, secretBox, logger, tokens: createMemoryTokenStore(), xmppAccounts: busXmppAccounts(registryBus, subjects) },
      { realm: 'acs', onboarding, nbi: { host: '127.0.0.1', port: 0 }, transports: ['xmpp', 'http'], adminToken: nbiToken },
    );
    nbiUrl = (await registry.start()).nbiUrl;
    const catchAll = (await store.listDeviceTypes()).find((t) => t.catchAll) as DeviceType;
    await store.updateDeviceType(catchAll.id, { connectionRequestPolicy: { deadlineMs: DEADLINE_MS, transports: ['xmpp', 'http'], xmpp: { keepAliveInterval: 300 } } }, Date.now());

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
    xmpp = createConnreqXmppService(
      { bus: await bus('connreq-xmpp'), subjects, logger },
      {
        xmpp: {
          endpoint: parseXmppService(`xmpp://${prosody.host}:${prosody.port}`),
          domain: prosody.domain,
          ...acsAccount,
          resource: 'acs-e2e',
          ca: readFileSync(prosody.caFile),
          reconnect: { baseMs: 100, maxMs: 1_000 },
        },
        timeoutMs: 2_000,
        worker: { concurrency: 64, minIntervalPerDeviceMs: 0, retry: { baseMs: 100, maxMs: 1_000 } },
        cpe: { server: { address: prosody.host, port: prosody.port }, useTLS: true },
      },
    );
    await xmpp.start();
    await xmpp.session.online();

    kv = createRedisKv(redis.url);
    ({ gateway, cwmpUrl } = await startBusGateway({ bus: await bus('gateway'), kv, subjects, logger }));
    pokeEvents = await watchPokeEvents(await bus('watcher'), subjects);

    const fleet = (model: 'tr181' | 'tr098', serialPrefix: string) =>
      createFleet({
        acsUrl: cwmpUrl,
        count: PER_MODEL,
        model,
        serialPrefix,
        username: onboarding.username,
        password: onboarding.password,
        connectionRequest: { host: '127.0.0.1' },
        xmpp: { caFile: prosody.caFile, loginConcurrency: 32 },
        retry: false,
        // Protocol seconds of 50 ms: a CPE whose XMPP server went away retries within ~3 s (TR-181's 60 s initial wait).
        secondMs: 50,
        httpTimeoutMs: 30_000,
      });
    tr181 = fleet('tr181', 'XD');
    tr098 = fleet('tr098', 'XI');
    fleets.push(tr181, tr098);
    await Promise.all(fleets.map((f) => f.start()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    await pokeEvents?.stop();
    await gateway?.stop();
    await xmpp?.stop();
    await httpWorker?.stop();
    await registry?.stop();
    await kv?.close();
    await Promise.all(buses.map((b) => b.close()));
    await store?.close();
    await Promise.all([nats?.stop(), redis?.stop(), prosody?.stop()]);
  });

  it('provisions TR-181 and TR-098 fleets: accounts on Prosody, XMPP.Connection set, ConnReqJabberID learned', async () => {
    const boot = await Promise.all(fleets.map((f) => f.run({ sessions: PER_MODEL, events: ['0 BOOTSTRAP', '1 BOOT'] })));
    const failed = boot.flat().filter((r) => r.error !== undefined);
    expect(failed.map((r) => r.error?.message)).toEqual([]);
    const all = fleets.flatMap((f) => [...f.cpes]);
    // Each CPE logs in with the account the ACS created, then tells the ACS its JID in a VALUE CHANGE Inform.
    await waitFor('every CPE to be logged in to Prosody', async () => (fleets.every((f) => f.xmppStatus().Enabled === PER_MODEL) ? true : undefined), 60_000);
    await waitFor('every ConnReqJabberID to be known to the registry', async () => ((await Promise.all(all.map(jidOf))).every(Boolean) ? true : undefined), 60_000);
    for (const [cpe, root] of [
      [tr181.cpes[0], 'Device.'],
      [tr098.cpes[0], 'InternetGatewayDevice.'],
    ] as const) {
      if (!cpe) throw new Error('empty fleet');
      const jid = await jidOf(cpe);
      expect(jid).toMatch(new RegExp(`^[^@]+@${prosody.domain.replace('.', '\\.')}/ConnReq$`));
      expect(cpe.model.getValue(`${root}ManagementServer.ConnReqJabberID`)).toBe(jid);
      expect(cpe.model.getValue(`${root}ManagementServer.ConnReqAllowedJabberIDs`)).toBe(`${acsAccount.username}@${prosody.domain}`);
      const connection = cpe.model.getValue(`${root}ManagementServer.ConnReqXMPPConnection`) ?? '';
      expect(cpe.model.getValue(`${connection}.Enable`)).toBe('true');
      // The password the ACS generated is nowhere in the registry's tree.
      const stored = await store.getParameters(idOf(cpe), `${connection}.Password`);
      expect(stored.map((p) => p.value).filter((v) => v !== '')).toEqual([]);
      const tasks = (await store.listTasks({ deviceId: idOf(cpe) })).items.filter((t) => t.type === 'provisionXmpp');
      expect(tasks.map((t) => t.status)).toEqual(['done']);
    }
  }, 180_000);

  it('200 pokes over XMPP: 200 accepted, 200 sessions with 6 CONNECTION REQUEST naming their poke', async () => {
    const all = fleets.flatMap((f) => [...f.cpes]);
    const results = await Promise.all(all.map((cpe) => poke(idOf(cpe))));
    expect(results.filter((r) => r.event.outcome !== 'accepted').map((r) => r.event)).toEqual([]);
    expect(new Set(results.map((r) => r.event.transport))).toEqual(new Set(['xmpp']));
    const ids = new Set(results.map((r) => r.requestId));
    const answered = () => pokeEvents.started.filter((s) => s.requestId !== undefined && ids.has(s.requestId) && s.eventCodes.includes(CONNECTION_REQUEST)).length;
    await waitFor('a 6 CONNECTION REQUEST session for every poke', async () => (answered() === ids.size ? true : undefined), 60_000);
    await Promise.all(all.map((cpe) => cpe.whenIdle()));
  }, 180_000);

  it('a wrong connection-request password ends auth_failed over XMPP (and over the HTTP fallback)', async () => {
    const cpe = tr181.cpes[1] as Cpe;
    cpe.model.setLocal('Device.ManagementServer.ConnectionRequestPassword', 'not-what-the-acs-knows');
    const { event } = await poke(idOf(cpe));
    expect(event).toMatchObject({ outcome: 'auth_failed', transport: 'http', attempts: [expect.objectContaining({ transport: 'xmpp', outcome: 'auth_failed' })] });
  }, 60_000);

  it('a CPE whose XMPP session is down: unreachable over XMPP fast, accepted over HTTP', async () => {
    const cpe = tr098.cpes[1] as Cpe;
    // Gone from the XMPP server without telling the ACS (its ConnReqJabberID stays as the ACS knows it).
    await cpe.xmpp?.stop();
    expect(await jidOf(cpe)).toEqual(expect.any(String));
    const t0 = Date.now();
    const { event } = await poke(idOf(cpe));
    expect(event).toMatchObject({ outcome: 'accepted', transport: 'http', attempts: [expect.objectContaining({ transport: 'xmpp', outcome: 'unreachable' })] });
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
  }, 60_000);

  it('Prosody restarted mid-run: the worker reconnects and pokes sent during the outage end accepted', async () => {
    const cpes = tr181.cpes.slice(10, 30);
    await Promise.all(cpes.map((cpe) => cpe.whenIdle()));
    const restarting = prosody.restart();
    const pokes = Promise.all(cpes.map((cpe) => poke(idOf(cpe))));
    await restarting;
    const results = await pokes;
    expect(results.filter((r) => r.event.outcome !== 'accepted').map((r) => r.event)).toEqual([]);
    expect(results.every((r) => r.event.transport === 'xmpp' || r.event.attempts?.[0]?.transport === 'xmpp')).toBe(true);
    expect(xmpp.ready().xmpp).toBe('online');
  }, 120_000);

  it('deleting a device through the NBI removes its XMPP account: the CPE can no longer log in', async () => {
    const cpe = tr181.cpes[40] as Cpe;
    await cpe.whenIdle();
    const res = await fetch(`${nbiUrl}/devices/${encodeURIComponent(idOf(cpe))}`, { method: 'DELETE', headers: { authorization: `Bearer ${nbiToken}` } });
    expect(res.status).toBe(204);
    // Prosody ends the deleted account's session; the CPE's next login is refused.
    await waitFor('the CPE to be refused by Prosody', async () => (cpe.xmpp?.status === 'Error_AuthenticationFailure' ? true : undefined), 30_000);
  }, 60_000);
});
