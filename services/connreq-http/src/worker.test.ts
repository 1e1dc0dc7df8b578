// The HTTP worker as deployed: the worker core with the HTTP act, against simulated CPEs on loopback. What every
// transport shares (fallback, dead letters, pacing, the ack window, stop) is tested in @acs/connreq-worker.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryBroker, createMemoryBus, type Bus } from '@acs/bus';
import { createSubjects, decodePayload, parseConnreqEvent, type ConnreqEvent } from '@acs/contracts';
import { createHttpConnectionRequestEndpoint, type ConnectionRequestBehaviour } from '@acs/cpe-sim';
import { createLogger } from '@acs/telemetry';
import { startRecordingFront, type RecordingServer } from '../test/support/http-fixtures.js';
import { connreqHttpConfig, workerSettings } from './config.js';
import { createConnreqHttpService } from './service.js';
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
  readonly bus: Bus;
  readonly events: ConnreqEvent[];
  startWorker(overrides?: Partial<ConnreqHttpWorkerOptions>): Promise<ConnreqHttpWorker>;
  send(command: Record<string, unknown>): Promise<void>;
  pendingCommands(): number;
}

async function harness(): Promise<Harness> {
  const broker = new MemoryBroker();
  const bus = createMemoryBus({ broker });
  cleanups.push(() => bus.close());
  await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
  const events: ConnreqEvent[] = [];
  await bus.consume(subjects.streams.events.name, 'test-observer', async (m) => {
    const parsed = decodePayload(m.data, parseConnreqEvent);
    if (parsed.ok) events.push(parsed.value);
    await m.ack();
  }, { ackWaitMs: 30_000, maxDeliver: 5, filterSubject: subjects.evt.allConnreqs });
  return {
    bus,
    events,
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
    async send(command) {
      await bus.publishDurable(subjects.cmd.connreq.http, command, { msgId: String(command.requestId) });
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
  it('runs as the service unit: the bus as its dep, CONNREQ_HTTP_* through workerSettings', async () => {
    const h = await harness();
    const cpe = await startCpe();
    const settings = workerSettings(connreqHttpConfig.load({ CONNREQ_HTTP_CONCURRENCY: '2', CONNREQ_HTTP_MIN_INTERVAL_MS: '0' }));
    const service = createConnreqHttpService({ bus: h.bus, subjects, logger }, settings);
    await service.start();
    cleanups.push(() => service.stop());
    await h.send(command('r-unit', cpe.url));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-unit', outcome: 'accepted' });
  });

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
});
