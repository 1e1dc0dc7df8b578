import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BusUnavailableError, MemoryBroker, createMemoryBus, type Bus, type MemoryBus } from '@acs/bus';
import {
  DURABLE_CONSUMERS,
  createSubjects,
  decodePayload,
  parseConnreqEvent,
  parseConnreqXmppCommand,
  parseDeadLetter,
  type ConnreqEvent,
  type ConnreqXmppCommand,
  type DeadLetter,
} from '@acs/contracts';
import { createHttpConnectionRequestEndpoint, type ConnectionRequestBehaviour } from '@acs/cpe-sim';
import { createLogger } from '@acs/telemetry';
import { startRecordingFront, type RecordingServer } from '../test/support/http-fixtures.js';
import { createConnreqHttpWorker, type ConnreqHttpWorker, type ConnreqHttpWorkerOptions } from './worker.js';

const CREDS = { username: 'cruser', password: 'crpass' };
const subjects = createSubjects('acs');
const logger = createLogger({ service: 'connreq-http-test', level: 'silent' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function startCpe(behaviour: ConnectionRequestBehaviour = 'normal', slowMs?: number): Promise<RecordingServer> {
  const endpoint = createHttpConnectionRequestEndpoint({ credentials: () => CREDS, onRequest: () => {}, behaviour, rateLimitMs: 0, ...(slowMs ? { slowMs } : {}) });
  await endpoint.start();
  cleanups.push(() => endpoint.stop());
  const front = await startRecordingFront(endpoint.url);
  cleanups.push(() => front.stop());
  return front;
}

interface Harness {
  readonly broker: MemoryBroker;
  readonly bus: MemoryBus;
  readonly events: ConnreqEvent[];
  readonly eventHeaders: Record<string, string>[];
  readonly xmppCommands: ConnreqXmppCommand[];
  readonly deadLetters: DeadLetter[];
  startWorker(overrides?: Partial<ConnreqHttpWorkerOptions>): Promise<ConnreqHttpWorker>;
  send(command: Record<string, unknown>, msgId?: string, headers?: Record<string, string>): Promise<void>;
  pendingCommands(): number;
}

async function harness(): Promise<Harness> {
  const broker = new MemoryBroker();
  const bus = createMemoryBus({ broker });
  cleanups.push(() => bus.close());
  await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
  const events: ConnreqEvent[] = [];
  const eventHeaders: Record<string, string>[] = [];
  const xmppCommands: ConnreqXmppCommand[] = [];
  const deadLetters: DeadLetter[] = [];
  const opts = { ackWaitMs: 30_000, maxDeliver: 5 };
  await bus.consume(subjects.streams.events.name, 'test-observer', async (m) => {
    const parsed = decodePayload(m.data, parseConnreqEvent);
    if (parsed.ok) {
      events.push(parsed.value);
      eventHeaders.push({ ...m.headers });
    }
    await m.ack();
  }, { ...opts, filterSubject: subjects.evt.allConnreqs });
  await bus.consume(subjects.streams.commands.name, DURABLE_CONSUMERS.connreqXmpp, async (m) => {
    const parsed = decodePayload(m.data, parseConnreqXmppCommand);
    if (!parsed.ok) throw parsed.error;
    xmppCommands.push(parsed.value);
    await m.ack();
  }, { ...opts, filterSubject: subjects.cmd.connreq.xmpp });
  await bus.consume(subjects.streams.deadLetters.name, 'test-dlq', async (m) => {
    const parsed = decodePayload(m.data, parseDeadLetter);
    if (parsed.ok) deadLetters.push(parsed.value);
    await m.ack();
  }, opts);
  let n = 0;
  return {
    broker,
    bus,
    events,
    eventHeaders,
    xmppCommands,
    deadLetters,
    async startWorker(overrides = {}) {
      const worker = createConnreqHttpWorker({
        bus: createMemoryBus({ broker }) as Bus,
        subjects,
        logger,
        concurrency: 8,
        minIntervalPerDeviceMs: 0,
        retry: { baseMs: 50, maxMs: 200 },
        http: { connectTimeoutMs: 500, timeoutMs: 2_000 },
        ...overrides,
      });
      await worker.start();
      cleanups.push(() => worker.stop());
      return worker;
    },
    async send(command, msgId, headers) {
      await bus.publishDurable(subjects.cmd.connreq.http, command, { msgId: msgId ?? String(command.requestId ?? `raw-${++n}`), ...(headers ? { headers } : {}) });
    },
    pendingCommands: () => broker.streams.get(subjects.streams.commands.name)?.messages.size ?? -1,
  };
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const command = (requestId: string, url: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  deviceId: `000000-Box-${requestId}`,
  url,
  credentials: CREDS,
  deadline: inMs(5_000),
  ...extra,
});

describe('connreq-http worker (MemoryBus, simulated CPEs)', () => {
  it('accepted: one final event with latency from issuedAt, then the command is acked', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker();
    const issuedAt = new Date(Date.now() - 250).toISOString();
    await h.send(command('r1', cpe.url, { issuedAt }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r1', deviceId: '000000-Box-r1', transport: 'http', outcome: 'accepted' });
    expect(h.events[0]?.latencyMs).toBeGreaterThanOrEqual(250);
    expect(h.events[0]?.attempts).toBeUndefined();
    await waitFor('the ack', () => h.pendingCommands() === 0);
  });

  it('the event continues the trace of the command (traceparent)', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await h.send(command('r-trace', cpe.url), undefined, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await waitFor('the event', () => h.events.length === 1);
    expect(h.eventHeaders[0]?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
  });

  it('auth_failed is never retried: exactly one authenticated request at the CPE', async () => {
    const h = await harness();
    const cpe = await startCpe('wrong-password');
    await h.startWorker({ retry: { baseMs: 10, maxMs: 20 } });
    await h.send(command('r-auth', cpe.url));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ outcome: 'auth_failed' });
    expect(cpe.seen.filter((s) => s.authorized)).toHaveLength(1);
    expect(cpe.seen).toHaveLength(2);
  });

  it('unreachable is retried with back-off inside the deadline, then reported', async () => {
    const h = await harness();
    const endpoint = createHttpConnectionRequestEndpoint({ credentials: () => CREDS, onRequest: () => {}, behaviour: 'unreachable' });
    await endpoint.start();
    await h.startWorker({ retry: { baseMs: 50, maxMs: 200 } });
    const deadlineMs = Date.now() + 1_200;
    await h.send(command('r-unr', endpoint.url, { deadline: new Date(deadlineMs).toISOString() }));
    await waitFor('the event', () => h.events.length === 1);
    const doneAt = Date.now();
    expect(h.events[0]?.outcome).toBe('unreachable');
    const tries = Number(/after (\d+) tries/.exec(h.events[0]?.detail ?? '')?.[1]);
    expect(tries).toBeGreaterThanOrEqual(3);
    // By the deadline (plus slack for a loaded machine; without the bound it would retry for ~28 s), and not early.
    expect(doneAt).toBeLessThan(deadlineMs + 1_000);
    expect(doneAt).toBeGreaterThan(deadlineMs - 500);
  });

  it('503 with Retry-After: waits that long when it fits the deadline, gives up at once when not', async () => {
    const h = await harness();
    const times: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      times.push(Date.now());
      // Busy the first time, then fine (no auth on this CPE).
      if (times.length % 2 === 1) res.writeHead(503, { 'retry-after': '1', 'content-length': '0' }).end();
      else res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cr`;
    await h.startWorker({ retry: { baseMs: 10, maxMs: 20 } });

    await h.send(command('r-ra1', url, { deadline: inMs(3_000) }));
    await waitFor('the first event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-ra1', outcome: 'accepted' });
    expect(times).toHaveLength(2);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(950);

    await h.send(command('r-ra2', url, { deadline: inMs(600) }));
    await waitFor('the second event', () => h.events.length === 2);
    expect(h.events[1]).toMatchObject({ requestId: 'r-ra2', outcome: 'rejected', detail: 'HTTP 503' });
    expect(times).toHaveLength(3);
  });

  it('slow CPE: timeout reported by the deadline', async () => {
    const h = await harness();
    const cpe = await startCpe('slow', 3_000);
    await h.startWorker();
    const deadlineMs = Date.now() + 800;
    await h.send(command('r-slow', cpe.url, { deadline: new Date(deadlineMs).toISOString() }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]?.outcome).toBe('timeout');
    // Well before the CPE's answer at 3 s.
    expect(Date.now()).toBeLessThan(deadlineMs + 1_000);
  });

  it('deadline already passed: timeout without touching the CPE', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker();
    await h.send(command('r-late', cpe.url, { deadline: inMs(-1_000) }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ outcome: 'timeout' });
    expect(cpe.seen).toHaveLength(0);
  });

  it('fallback: publishes the next transport command (with this attempt) instead of an event', async () => {
    const h = await harness();
    const endpoint = createHttpConnectionRequestEndpoint({ credentials: () => CREDS, onRequest: () => {}, behaviour: 'unreachable' });
    await endpoint.start();
    await h.startWorker();
    const xmpp = { jid: 'cpe1@xmpp.example/ConnReq', credentials: CREDS };
    await h.send(command('r-fb', endpoint.url, { deadline: inMs(600), fallback: [{ transport: 'xmpp', command: xmpp }] }));
    await waitFor('the fallback command', () => h.xmppCommands.length === 1);
    const next = h.xmppCommands[0];
    expect(next).toMatchObject({ requestId: 'r-fb', deviceId: '000000-Box-r-fb', jid: xmpp.jid, fallback: [] });
    expect(next?.attempts).toHaveLength(1);
    expect(next?.attempts[0]).toMatchObject({ transport: 'http', outcome: 'unreachable' });
    await waitFor('the ack', () => h.pendingCommands() === 0);
    expect(h.events).toHaveLength(0);
  });

  it('accepted ends the poke even with a fallback plan; earlier attempts travel in the event', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker();
    const earlier = { transport: 'udp', outcome: 'timeout', latencyMs: 12 };
    await h.send(command('r-fb2', cpe.url, { fallback: [{ transport: 'xmpp', command: {} }], attempts: [earlier] }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ outcome: 'accepted', attempts: [earlier] });
    expect(h.xmppCommands).toHaveLength(0);
  });

  it('the same requestId delivered twice ends in one event only (never two accepted)', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker();
    const cmd = command('r-dup', cpe.url);
    await h.send(cmd, 'delivery-a');
    await h.send(cmd, 'delivery-b');
    await waitFor('both commands handled', () => h.pendingCommands() === 0 && cpe.seen.filter((s) => s.status === 200).length === 2);
    // Both deliveries reached the CPE; the events stream kept one.
    expect(h.events.filter((e) => e.requestId === 'r-dup')).toHaveLength(1);
  });

  it('per-device minimum interval: a second command for the same device starts no earlier than the interval', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker({ minIntervalPerDeviceMs: 700 });
    await h.send(command('r-i1', cpe.url, { deviceId: 'dev-same' }));
    await h.send(command('r-i2', cpe.url, { deviceId: 'dev-same' }));
    await h.send(command('r-i3', cpe.url, { deviceId: 'dev-other' }));
    await waitFor('three events', () => h.events.length === 3, 5_000);
    expect(h.events.every((e) => e.outcome === 'accepted')).toBe(true);
    const firstRequests = cpe.seen.filter((s) => !s.authorized).map((s) => s.startedAt);
    expect(firstRequests).toHaveLength(3);
    const [a = 0, b = 0, c = 0] = firstRequests.sort((x, y) => x - y);
    // Another device is not held back; the same device waits the interval.
    expect(b - a).toBeLessThan(500);
    expect(c - a).toBeGreaterThanOrEqual(700);
  });

  it('a second command that cannot fit the interval before its deadline ends in timeout without a request', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker({ minIntervalPerDeviceMs: 5_000 });
    await h.send(command('r-j1', cpe.url, { deviceId: 'dev-j' }));
    await h.send(command('r-j2', cpe.url, { deviceId: 'dev-j', deadline: inMs(1_000) }));
    await waitFor('two events', () => h.events.length === 2);
    const second = h.events.find((e) => e.requestId === 'r-j2');
    expect(second?.outcome).toBe('timeout');
    expect(second?.detail).toContain('minimum interval');
    expect(cpe.seen.filter((s) => !s.authorized)).toHaveLength(1);
  });

  it('bounded concurrency: never more requests in flight at a slow CPE than the bound', async () => {
    const h = await harness();
    const cpe = await startCpe('slow', 150);
    const worker = await h.startWorker({ concurrency: 3 });
    let maxInFlight = 0;
    const timer = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, worker.inFlight);
    }, 2);
    cleanups.push(async () => clearInterval(timer));
    for (let i = 0; i < 10; i++) await h.send(command(`r-c${i}`, cpe.url));
    await waitFor('ten events', () => h.events.length === 10, 10_000);
    expect(h.events.every((e) => e.outcome === 'accepted')).toBe(true);
    expect(cpe.maxInFlight).toBe(3);
    expect(maxInFlight).toBeLessThanOrEqual(3);
  });

  it('an invalid command is dead-lettered and terminated; the worker carries on', async () => {
    const h = await harness();
    const cpe = await startCpe();
    await h.startWorker();
    await h.send({ requestId: 'bad', deviceId: 'd', url: 'https://not-http.example/cr', deadline: 'soon' }, 'bad-1');
    await h.bus.publishDurable(subjects.cmd.connreq.http, new TextEncoder().encode('not json'), { msgId: 'bad-2' });
    await h.send(command('r-after', cpe.url));
    await waitFor('two dead letters and the event', () => h.deadLetters.length === 2 && h.events.length === 1);
    expect(h.deadLetters.map((d) => d.reason)).toEqual(['INVALID_PAYLOAD', 'INVALID_PAYLOAD']);
    expect(h.deadLetters[0]?.subject).toBe(subjects.cmd.connreq.http);
    expect(h.deadLetters[0]?.issues?.map((i) => i.path[0])).toEqual(expect.arrayContaining(['url', 'deadline']));
    expect(Buffer.from(h.deadLetters[1]?.payloadBase64 ?? '', 'base64').toString()).toBe('not json');
    expect(h.events[0]).toMatchObject({ requestId: 'r-after', outcome: 'accepted' });
    await waitFor('nothing left', () => h.pendingCommands() === 0);
  });

  it('acks only after the event is stored: a failed publish hands the command back and it ends in one event', async () => {
    const h = await harness();
    const cpe = await startCpe();
    const real = createMemoryBus({ broker: h.broker });
    let failures = 0;
    // The bus port with an outage on the first event publish (a fake over the real in-process adapter).
    const flaky: Bus = Object.assign(Object.create(real) as Bus, {
      publishDurable: async (...args: Parameters<Bus['publishDurable']>) => {
        if (args[0].startsWith('acs.evt.') && failures === 0) {
          failures += 1;
          throw new BusUnavailableError('publish not confirmed (test outage)');
        }
        return real.publishDurable(...args);
      },
    });
    await h.startWorker({ bus: flaky });
    await h.send(command('r-outage', cpe.url));
    await waitFor('the event after the redelivery', () => h.events.length === 1, 8_000);
    expect(failures).toBe(1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-outage', outcome: 'accepted' });
    // The CPE was asked twice (the first outcome was never stored), the stream holds one event and no command.
    expect(cpe.seen.filter((s) => s.status === 200)).toHaveLength(2);
    await waitFor('the ack', () => h.pendingCommands() === 0);
  });

  it('stop(): the request in flight publishes its outcome; a command waiting for its interval goes back to the stream', async () => {
    const h = await harness();
    const cpe = await startCpe('slow', 300);
    const first = await h.startWorker({ minIntervalPerDeviceMs: 10_000 });
    await h.send(command('r-s1', cpe.url, { deviceId: 'dev-s' }));
    await h.send(command('r-s2', cpe.url, { deviceId: 'dev-s', deadline: inMs(20_000) }));
    await waitFor('both taken', () => first.inFlight === 2);
    await first.stop();
    expect(h.events.map((e) => e.requestId)).toEqual(['r-s1']);
    await h.startWorker();
    await waitFor('the handed-back command done elsewhere', () => h.events.length === 2);
    expect(h.events[1]).toMatchObject({ requestId: 'r-s2', outcome: 'accepted' });
  });
});
