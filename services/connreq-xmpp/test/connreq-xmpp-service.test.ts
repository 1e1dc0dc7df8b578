import { randomUUID } from 'node:crypto';
import { createNatsBus, type Bus } from '@acs/bus';
import { createSubjects, decodeJson, parseConnreqEvent, type ConnreqEvent } from '@acs/contracts';
import { startNats, startProsody, type NatsServer, type ProsodyServer } from '@acs/testkit';
import { startHealthServer, type HealthServer } from '@acs/service';
import { createConnreqXmppService, type ConnreqXmppService } from '../src/service.js';
import { ACS, capturingLogger, connectCpe, reaches, sessionOptions, type TestCpe } from './support/xmpp.js';

const TIMEOUT_MS = 2_000;

describe('connreq-xmpp service on NATS and Prosody', () => {
  let nats: NatsServer;
  let server: ProsodyServer;
  let bus: Bus;
  let client: Bus;
  let service: ConnreqXmppService;
  let health: HealthServer;
  let cpe: TestCpe;
  const subjects = createSubjects(`t${randomUUID().slice(0, 8)}.acs`);
  const events = new Map<string, ConnreqEvent>();
  const eventWaiters = new Map<string, (e: ConnreqEvent) => void>();
  const { logger } = capturingLogger();

  const eventOf = (requestId: string): Promise<ConnreqEvent> => {
    const seen = events.get(requestId);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => eventWaiters.set(requestId, resolve));
  };
  const poke = async (jid: string, password = 'cr-pass') => {
    const requestId = randomUUID();
    const command = { requestId, deviceId: `dev-${requestId}`, deadline: new Date(Date.now() + 25_000).toISOString(), jid, credentials: { username: 'cr-user', password } };
    await client.publishDurable(subjects.cmd.connreq.xmpp, command, { msgId: requestId });
    return requestId;
  };
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${health.port}/readyz`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  beforeAll(async () => {
    [nats, server] = await Promise.all([startNats(), startProsody({ users: [ACS, { username: 'cpe1', password: 'cpe1-pw' }] })]);
    [bus, client] = await Promise.all([createNatsBus({ servers: nats.url, name: 'connreq-xmpp' }), createNatsBus({ servers: nats.url, name: 'observer' })]);
    client.subscribe(subjects.evt.allConnreqs, (msg) => {
      const decoded = decodeJson(msg.data, msg.subject);
      const parsed = decoded.ok ? parseConnreqEvent(decoded.value) : undefined;
      if (!parsed?.ok) return;
      events.set(parsed.value.requestId, parsed.value);
      eventWaiters.get(parsed.value.requestId)?.(parsed.value);
    });
    await client.flush();
    const { logger: sessionLogger, ...xmpp } = sessionOptions(server, logger);
    service = createConnreqXmppService(
      { bus, subjects, logger: sessionLogger },
      {
        xmpp,
        timeoutMs: TIMEOUT_MS,
        worker: { concurrency: 8, minIntervalPerDeviceMs: 0, retry: { baseMs: 100, maxMs: 500 }, ackWaitMs: 30_000 },
        cpe: { server: { address: server.host, port: server.port }, useTLS: true },
      },
    );
    health = await startHealthServer({ host: '127.0.0.1', port: 0, readiness: service.ready });
    await service.start();
    [cpe] = await Promise.all([connectCpe(server, 'cpe1', 'cpe1-pw'), service.session.online()]);
  });

  afterAll(async () => {
    await cpe?.stop();
    await service?.stop();
    await health?.close();
    await Promise.all([bus?.close(), client?.close()]);
    await Promise.all([nats?.stop(), server?.stop()]);
  });

  it('is ready once the session is online and the consumer runs', async () => {
    await expect(readyz()).resolves.toEqual({ status: 200, body: { ready: true, xmpp: 'online', consumer: 'running' } });
  });

  it('a command on cmd.connreq.xmpp reaches the CPE with its credentials and ends accepted on evt.connreq.<id>', async () => {
    cpe.answer = 'accept';
    const requestId = await poke(cpe.jid);
    const event = await eventOf(requestId);
    expect(event).toMatchObject({ requestId, deviceId: `dev-${requestId}`, transport: 'xmpp', outcome: 'accepted' });
    expect(cpe.received.at(-1)).toEqual({ from: service.session.jid, type: 'get', username: 'cr-user', password: 'cr-pass' });
  });

  it('a CPE answering not-authorized ends auth_failed', async () => {
    cpe.answer = { condition: 'not-authorized', type: 'auth' };
    await expect(eventOf(await poke(cpe.jid, 'wrong'))).resolves.toMatchObject({ outcome: 'auth_failed', detail: 'XMPP not-authorized (auth)' });
  });

  it('an offline CPE ends unreachable well under the timeout', async () => {
    const started = Date.now();
    const event = await eventOf(await poke(`cpe1@${server.domain}/offline`));
    expect(event).toMatchObject({ outcome: 'unreachable', detail: expect.stringContaining('service-unavailable') });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2);
  });

  it('across a Prosody restart: /readyz 503 then 200, and pokes sent during the outage all end accepted', async () => {
    cpe.answer = 'accept';
    const offline = reaches(service.session, 'offline');
    const restarted = server.restart();
    await offline;
    expect(await readyz()).toEqual({ status: 503, body: { ready: false, xmpp: expect.stringMatching(/^(offline|connecting)$/), consumer: 'running' } });
    const during = await Promise.all([poke(cpe.jid), poke(cpe.jid), poke(cpe.jid)]);
    await restarted;
    await reaches(service.session, 'online');
    const outcomes = await Promise.all(during.map(eventOf));
    expect(outcomes.map((e) => e.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect((await readyz()).status).toBe(200);
  });
});
