import { randomUUID } from 'node:crypto';
import { createNatsBus, type Bus } from '@acs/bus';
import { createSubjects, decodeJson, parseConnreqEvent, parseStunBindingEvent, type ConnreqEvent, type StunBindingEvent, type StunDeviceReply } from '@acs/contracts';
import { createRedisKv, type Kv, type SessionStore } from '@acs/kv';
import { parseUdpConnectionRequest, verifyMessageIntegrity, verifyUdpConnectionRequest } from '@acs/stun';
import { createLogger } from '@acs/telemetry';
import { startNats, startRedis, type NatsServer, type RedisServer } from '@acs/testkit';
import type { Binding } from '../src/binding-store.js';
import { stunPasswordFor } from '../src/credentials.js';
import { createConnreqStunService, type ConnreqStunService } from '../src/service.js';
import { testSettings, TEST_SECRET } from './support/settings.js';
import { openUdpPeer, type UdpPeer } from './support/udp-peer.js';

const CR = { username: 'cr-user', password: 'cr-pass' };

describe('connreq-stun on NATS and Redis', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  let kv: Kv;
  let bus: Bus;
  let client: Bus;
  let service: ConnreqStunService;
  const subjects = createSubjects(`t${randomUUID().slice(0, 8)}.acs`);
  // The registry's answer per STUN username (this suite plays the registry; the e2e suite runs the real one).
  const devices = new Map<string, StunDeviceReply>();
  const bindingEvents: StunBindingEvent[] = [];
  const connreqEvents = new Map<string, ConnreqEvent>();
  const waiting = new Map<string, (e: ConnreqEvent) => void>();
  const peers: UdpPeer[] = [];

  const peer = async () => {
    const p = await openUdpPeer();
    peers.push(p);
    return p;
  };
  const server = () => ({ port: service.address().port });
  const device = (requireAuth: boolean) => {
    const deviceId = `00A0C5-GW-${randomUUID().slice(0, 8)}`;
    devices.set(deviceId, { deviceId, requireAuth, maximumKeepAlivePeriod: 60 });
    return deviceId;
  };
  const bindings = () => kv.sessions as SessionStore<Binding>;
  const eventOf = (requestId: string): Promise<ConnreqEvent> => {
    const seen = connreqEvents.get(requestId);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiting.set(requestId, resolve));
  };
  const until = async <T>(read: () => Promise<T | null | undefined> | T | null | undefined, what: string, timeoutMs = 3_000): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (value !== null && value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setImmediate(r));
    }
  };
  const poke = async (deviceId: string, extra: Record<string, unknown> = {}, deadlineMs = 10_000) => {
    const requestId = randomUUID();
    const command = { requestId, deviceId, deadline: new Date(Date.now() + deadlineMs).toISOString(), host: '127.0.0.1', port: 9, credentials: CR, ...extra };
    await client.publishDurable(subjects.cmd.connreq.udp, command, { msgId: requestId });
    return requestId;
  };
  const sessionStarted = (deviceId: string) =>
    client.publishDurable(
      subjects.evt.sessionStarted(deviceId),
      { deviceId, sessionId: randomUUID(), startedAt: new Date().toISOString(), eventCodes: ['6 CONNECTION REQUEST'] },
      { msgId: randomUUID() },
    );

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    kv = createRedisKv(redis.url, { prefix: `${subjects.prefix}:stun:` });
    [bus, client] = await Promise.all([createNatsBus({ servers: nats.url, name: 'connreq-stun' }), createNatsBus({ servers: nats.url, name: 'observer' })]);
    client.serve(subjects.registry.stunDevice, (msg) => {
      const { username } = JSON.parse(Buffer.from(msg.data).toString()) as { username: string };
      return devices.get(username) ?? { ok: false, error: { code: 'NOT_FOUND', message: `no STUN device ${username}` } };
    });
    client.subscribe(subjects.evt.allStunBindings, (msg) => {
      const parsed = parseStunBindingEvent(JSON.parse(Buffer.from(msg.data).toString()));
      if (parsed.ok) bindingEvents.push(parsed.value);
    });
    client.subscribe(subjects.evt.allConnreqs, (msg) => {
      const decoded = decodeJson(msg.data, msg.subject);
      const parsed = decoded.ok ? parseConnreqEvent(decoded.value) : undefined;
      if (!parsed?.ok) return;
      connreqEvents.set(parsed.value.requestId, parsed.value);
      waiting.get(parsed.value.requestId)?.(parsed.value);
    });
    await client.flush();
    service = createConnreqStunService(
      { bus, subjects, bindings: bindings(), logger: createLogger({ service: 'connreq-stun-test', level: 'silent' }) },
      testSettings(),
    );
    await service.start();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await service?.stop();
    await Promise.all([bus?.close(), client?.close()]);
    await kv?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('answers RFC 3489 clients with MAPPED-ADDRESS only and RFC 5389 clients with XOR-MAPPED-ADDRESS too', async () => {
    const cpe = await peer();
    const legacy = await cpe.bind(server(), { legacy: true });
    expect(legacy).toMatchObject({ kind: 'binding-response', legacy: true, mappedAddress: { address: '127.0.0.1', port: cpe.port } });
    const modern = await cpe.bind(server());
    expect(modern).toMatchObject({ kind: 'binding-response', legacy: false, mappedAddress: { address: '127.0.0.1', port: cpe.port } });
    expect(service.ready()).toEqual({ ready: true, stun: 'listening', consumer: 'running' });
  });

  it('records a known device’s binding with CONNECTION-REQUEST-BINDING, announces it once, and announces a move', async () => {
    const deviceId = device(false);
    const first = await peer();
    await first.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId });
    const stored = await until(() => bindings().get(deviceId), 'the binding in Redis');
    expect(stored).toMatchObject({ host: '127.0.0.1', port: first.port, replica: 'stun-a' });
    await first.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId });
    const moved = await peer();
    await moved.bind(server(), { legacy: true, connectionRequestBinding: true, bindingChange: true, username: deviceId });
    const mine = await until(() => {
      const events = bindingEvents.filter((e) => e.deviceId === deviceId);
      return events.length >= 2 ? events : undefined;
    }, 'two binding events');
    expect(mine.map((e) => [e.reason, e.port])).toEqual([
      ['new', first.port],
      ['binding-change', moved.port],
    ]);
    expect(mine[1]?.previous).toEqual({ host: '127.0.0.1', port: first.port });
  });

  it('does not record a Binding Request without CONNECTION-REQUEST-BINDING or from an unknown username', async () => {
    const deviceId = device(false);
    const cpe = await peer();
    await cpe.bind(server(), { username: deviceId });
    const unknown = await cpe.bind(server(), { connectionRequestBinding: true, username: 'nobody-provisioned-this' });
    expect(unknown.kind).toBe('binding-response');
    // A control device bound afterwards: once its record is in, the earlier requests' writes would be too.
    const control = device(false);
    await cpe.bind(server(), { connectionRequestBinding: true, username: control });
    await until(() => bindings().get(control), 'the control binding');
    expect(await bindings().get(deviceId)).toBeNull();
    expect(await bindings().get('nobody-provisioned-this')).toBeNull();
  });

  it('answers 401 without valid integrity when the type requires it, and records once integrity is right', async () => {
    const deviceId = device(true);
    const cpe = await peer();
    const bare = await cpe.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId });
    expect(bare).toMatchObject({ kind: 'binding-error', errorCode: 401 });
    const wrong = await cpe.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId, password: 'guessed' });
    expect(wrong).toMatchObject({ kind: 'binding-error', errorCode: 401 });
    expect(service.server.counters.unauthorized).toBeGreaterThanOrEqual(2);
    expect(await bindings().get(deviceId)).toBeNull();

    const issued = JSON.parse(Buffer.from((await client.request(subjects.stun.credentialsIssue, { deviceId }, { timeoutMs: 2_000 })).data).toString()) as Record<string, unknown>;
    expect(issued).toEqual({ username: deviceId, password: stunPasswordFor(TEST_SECRET, deviceId), server: { address: 'stun.example.net', port: 3478 } });
    const otherSubjects = createSubjects(`t${randomUUID().slice(0, 8)}.acs`);
    const onAnyPort = createConnreqStunService(
      { bus, subjects: otherSubjects, bindings: bindings(), logger: createLogger({ service: 't', level: 'silent' }) },
      testSettings({ publicServer: { address: '127.0.0.1', port: 0 }, replica: 'stun-any' }),
    );
    await onAnyPort.start();
    try {
      const reply = await bus.request(otherSubjects.stun.credentialsIssue, { deviceId }, { timeoutMs: 2_000 });
      expect((JSON.parse(Buffer.from(reply.data).toString()) as { server: unknown }).server).toEqual({ address: '127.0.0.1', port: onAnyPort.address().port });
    } finally {
      await onAnyPort.stop();
    }
    const signed = await cpe.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId, password: issued.password as string });
    expect(signed.kind).toBe('binding-response');
    const answer = cpe.received.at(-1)!.message;
    expect(verifyMessageIntegrity(answer, issued.password as string)).toBe('rfc3489');
    expect(await until(() => bindings().get(deviceId), 'the binding')).toMatchObject({ port: cpe.port });
  });

  it('drops datagrams that are not Binding Requests and keeps answering', async () => {
    const cpe = await peer();
    const before = service.server.counters.ignored;
    for (const bytes of [Buffer.from('hello'), Buffer.alloc(20), Buffer.alloc(1500, 0xff)]) await cpe.sendRaw(bytes, server().port);
    await until(() => (service.server.counters.ignored >= before + 3 ? true : undefined), 'the junk to be counted');
    expect((await cpe.bind(server())).kind).toBe('binding-response');
  });

  it('sends three signed copies to the binding and reports accepted when the session starts', async () => {
    const deviceId = device(false);
    const cpe = await peer();
    await cpe.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId });
    await until(() => bindings().get(deviceId), 'the binding');
    const requestId = await poke(deviceId);
    const copies = await cpe.nonStun(3);
    const parsed = copies.map((c) => parseUdpConnectionRequest(c.message));
    for (const [i, p] of parsed.entries()) {
      if (!p.ok) throw new Error(p.reason);
      expect(verifyUdpConnectionRequest(p.request, CR.password)).toBe(true);
      expect(p.request).toMatchObject({ host: '127.0.0.1', port: cpe.port, un: CR.username });
      // From the STUN socket itself: a restricted NAT lets only that source through.
      expect(copies[i]!.from.port).toBe(server().port);
    }
    expect(new Set(parsed.map((p) => (p.ok ? p.request.id : -1))).size).toBe(1);
    await sessionStarted(deviceId);
    const event = await eventOf(requestId);
    expect(event).toMatchObject({ transport: 'udp', outcome: 'accepted' });
  });

  it('reports timeout when no session starts, and unreachable (no route) with neither a binding nor a fresh address', async () => {
    const deviceId = device(false);
    const cpe = await peer();
    await cpe.bind(server(), { legacy: true, connectionRequestBinding: true, username: deviceId });
    await until(() => bindings().get(deviceId), 'the binding');
    const silent = await poke(deviceId, {}, 2_500);
    expect(await eventOf(silent)).toMatchObject({ transport: 'udp', outcome: 'timeout' });

    const nowhere = await poke(device(false));
    const event = await eventOf(nowhere);
    expect(event).toMatchObject({ transport: 'udp', outcome: 'unreachable' });
    expect(event.detail).toContain('no_route');
  });

  it('tries an Inform-reported address that is fresh when there is no binding', async () => {
    const deviceId = device(false);
    const cpe = await peer();
    const requestId = await poke(deviceId, { host: '127.0.0.1', port: cpe.port, addressSeenAt: new Date().toISOString() });
    await cpe.nonStun(1);
    await sessionStarted(deviceId);
    expect(await eventOf(requestId)).toMatchObject({ outcome: 'accepted' });
  });

  it('lets a request already sent see its session when the replica stops (a rolling restart reports no false timeout)', async () => {
    const own = createSubjects(`t${randomUUID().slice(0, 8)}.acs`);
    const replica = createConnreqStunService(
      { bus, subjects: own, bindings: bindings(), logger: createLogger({ service: 't', level: 'silent' }) },
      testSettings({ replica: 'stun-stopping', udp: { copies: 1, intervalMs: 0, sessionWaitMs: 5_000, addressMaxAgeMs: 60_000 } }),
    );
    await replica.start();
    const outcomes: ConnreqEvent[] = [];
    const watch = client.subscribe(own.evt.allConnreqs, (msg) => {
      const parsed = parseConnreqEvent(JSON.parse(Buffer.from(msg.data).toString()));
      if (parsed.ok) outcomes.push(parsed.value);
    });
    await client.flush();
    const cpe = await peer();
    const deviceId = `00A0C5-GW-${randomUUID().slice(0, 8)}`;
    const requestId = randomUUID();
    const command = { requestId, deviceId, deadline: new Date(Date.now() + 10_000).toISOString(), host: '127.0.0.1', port: cpe.port, credentials: CR, addressSeenAt: new Date().toISOString() };
    await client.publishDurable(own.cmd.connreq.udp, command, { msgId: requestId });
    await cpe.nonStun(1);
    const stopping = replica.stop();
    // The session starts once the replica is well into stopping: its endpoints are gone.
    await until(async () => {
      const answered = await client.request(own.stun.relay('stun-stopping'), {}, { timeoutMs: 500 }).then(
        () => true,
        () => false,
      );
      return answered ? undefined : true;
    }, 'the endpoints to stop');
    await client.publishDurable(own.evt.sessionStarted(deviceId), { deviceId, sessionId: randomUUID(), startedAt: new Date().toISOString(), eventCodes: ['6 CONNECTION REQUEST'] }, { msgId: randomUUID() });
    await stopping;
    await until(() => (outcomes.length > 0 ? outcomes : undefined), 'the outcome');
    await watch.unsubscribe();
    expect(outcomes.map((e) => [e.requestId, e.outcome])).toEqual([[requestId, 'accepted']]);
  });
});

