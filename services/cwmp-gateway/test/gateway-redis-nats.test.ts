// End to end over the real infrastructure: two gateway replicas, each with its own Redis connection and NATS
// connection, a stub registry answering on the real bus, requests alternated between the replicas.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type Bus, type BusMessage, type Subscription } from '@acs/bus';
import { createSubjects, QUEUE_GROUPS, type RegistryClient } from '@acs/contracts';
import { decode, type CwmpEnvelope } from '@acs/cwmp';
import { createRedisKv, type Kv } from '@acs/kv';
import { createLogger } from '@acs/telemetry';
import { freePort, startNats, startRedis, type NatsServer, type RedisServer } from '@acs/testkit';
import { BusRegistryClient } from '../src/bus-registry-client.js';
import { createGateway, DEFAULT_SETTINGS } from '../src/gateway.js';
import { FakeRegistry } from './support/fake-registry.js';
import { DEVICE_ID, envelope, httpRequest, LogCapture, NONCE_SECRET, TestCpe, until } from './support/harness.js';

const subjects = createSubjects('acs');
const CREDS = { username: 'cpe1', password: 'Circle Of Life' };

let nats: NatsServer;
let redis: RedisServer;
const buses: Bus[] = [];
const kvs: Kv[] = [];
const servers: Server[] = [];
const urls: string[] = [];
let registryBus: Bus;
let observer: Bus;
let registry: FakeRegistry;
let endpoints: Subscription[] = [];
const logs = new LogCapture();

/** Serves the registry's endpoints on the real bus, with the scripted registry as the brain. */
function serveRegistry(brain: FakeRegistry): Subscription[] {
  const endpoint = <K extends keyof RegistryClient>(subject: string, method: K) =>
    registryBus.serve(
      subject,
      async (msg) => {
        const req = JSON.parse(Buffer.from(msg.data).toString('utf8')) as Parameters<RegistryClient[K]>[0];
        return (await (brain[method] as (r: typeof req) => Promise<object>).call(brain, req)) as object;
      },
      { queue: QUEUE_GROUPS.registry },
    );
  return [
    endpoint(subjects.registry.credentialsVerify, 'verifyCredentials'),
    endpoint(subjects.registry.informRecord, 'recordInform'),
    endpoint(subjects.registry.sessionCpeRequest, 'cpeRequest'),
    endpoint(subjects.registry.sessionNext, 'nextAction'),
    endpoint(subjects.registry.sessionResult, 'recordResult'),
  ];
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  registryBus = await createNatsBus({ servers: nats.url, name: 'stub-registry' });
  observer = await createNatsBus({ servers: nats.url, name: 'observer' });
  const logger = createLogger({ service: 'cwmp-gateway-it', level: 'debug', destination: logs });
  for (let i = 0; i < 2; i += 1) {
    const bus = await createNatsBus({ servers: nats.url, name: `gateway-${i}` });
    const kv = createRedisKv(redis.url, { prefix: 'it:' });
    buses.push(bus);
    kvs.push(kv);
    const gateway = createGateway({
      registry: new BusRegistryClient({ bus, subjects, timeoutMs: 2_000 }),
      sessions: kv.sessions,
      locks: kv.locks,
      rateLimiter: kv.rateLimiter,
      bus,
      subjects,
      logger: logger.child({ replica: i }),
      settings: { ...DEFAULT_SETTINGS, nonceSecret: NONCE_SECRET },
    });
    const server = createServer(gateway.app);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
    urls.push(`http://127.0.0.1:${port}/cwmp/`);
  }
}, 60_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const b of [...buses, registryBus, observer].filter(Boolean)) await b.close();
  for (const kv of kvs) await kv.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

function parsed(body: string): CwmpEnvelope {
  const d = decode(body);
  if (d.kind === 'empty') throw new Error('empty body');
  return d.envelope;
}

describe('cwmp-gateway over Redis and NATS', () => {
  it('runs a whole session across two replicas, with the registry on the bus and the state in Redis', async () => {
    registry = new FakeRegistry()
      .addCredential(CREDS.username, { password: CREDS.password, deviceId: DEVICE_ID })
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetParameterValues', parameterNames: ['Device.ManagementServer.'] } });
    endpoints = serveRegistry(registry);
    const events: BusMessage[] = [];
    observer.subscribe(subjects.evt.all, (m) => {
      events.push(m);
    });
    await Promise.all([registryBus.flush(), observer.flush()]);

    const cpe = new TestCpe(urls, CREDS);
    const informRes = await cpe.open({ challengeTo: 0, to: 1 });
    expect(informRes.status).toBe(200);
    expect(parsed(informRes.body).body.name).toBe('InformResponse');
    expect(registry.informs).toHaveLength(1);

    // The other replica, with its own Redis connection, sees the session and the held lock.
    const rpcRes = await cpe.post('', { to: 0 });
    const rpc = parsed(rpcRes.body);
    expect(rpc.body.name).toBe('GetParameterValues');
    expect(await kvs[0]?.locks.acquire(DEVICE_ID, 1_000)).toBeNull();

    const done = await cpe.post(
      envelope({ name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.ManagementServer.URL', value: 'http://acs', type: 'string' }] }, { id: rpc.header.id as string }),
      { to: 1 },
    );
    expect(done.status).toBe(204);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { response: expect.objectContaining({ name: 'GetParameterValuesResponse' }) } })]);

    const sessionId = (registry.informs[0] as { sessionId: string }).sessionId;
    expect(await kvs[1]?.sessions.get(`cwmp:s:${sessionId}`)).toBeNull();
    const lock = await kvs[1]?.locks.acquire(DEVICE_ID, 1_000);
    expect(lock).not.toBeNull();
    if (lock) await kvs[1]?.locks.release(lock);

    await until(() => events.length >= 3, 5_000);
    expect(events.map((e) => e.subject)).toEqual([
      subjects.evt.sessionStarted(DEVICE_ID),
      subjects.evt.inform(DEVICE_ID),
      subjects.evt.sessionEnded(DEVICE_ID),
    ]);
    expect(JSON.parse(Buffer.from((events[2] as BusMessage).data).toString('utf8'))).toMatchObject({
      sessionId,
      outcome: 'completed',
      rpcs: [{ name: 'GetParameterValues', taskId: 't-1', outcome: 'ok' }],
    });
  });

  it('answers 503 + Retry-After when no registry answers on the bus', async () => {
    for (const e of endpoints) await e.unsubscribe();
    await registryBus.flush();
    const cpe = new TestCpe(urls, CREDS);
    const res = await cpe.open({ challengeTo: 1, to: 0 });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe(String(DEFAULT_SETTINGS.retryAfterS));
    expect(logs.lines.some((l) => l.code === 'NO_RESPONDERS')).toBe(true);
    // The replicas themselves stay ready: Redis and NATS are up.
    const ready = await httpRequest((urls[0] as string).replace('/cwmp/', '/readyz'), { method: 'GET' });
    expect(ready.status).toBe(200);
  });
});
