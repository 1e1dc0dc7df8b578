import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createMemoryBus, MemoryBroker, type Bus, type Consumer, type DurableMessage, type MemoryBus } from '@acs/bus';
import { createSubjects, parseConnreqEvent, parseConnreqHttpCommand, parseDeadLetter, type Parser } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { createSecretBox } from '../secrets.js';
import type { DeviceStore } from '../store/device-store.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import { createPokeRouter, PokeRouterStateError, type PokeRouter } from './poke-router.js';

const NOW = Date.UTC(2026, 10, 26, 9, 0, 0);
const subjects = createSubjects();
const logger = createLogger({ service: 'poke-router-test', level: 'silent' });
const secretBox = createSecretBox(randomBytes(32).toString('base64'));
const DEVICE = '02A0C5-SimGW-SN1';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Seen<T> {
  subject: string;
  value: T;
  headers: Record<string, string>;
}

/** Reads a stream through a durable consumer of its own, as a worker or an event reader would. */
async function collect<T>(bus: Bus, stream: string, durable: string, filterSubject: string, parse: Parser<T>): Promise<{ seen: Seen<T>[]; consumer: Consumer }> {
  const seen: Seen<T>[] = [];
  const consumer = await bus.consume(
    stream,
    durable,
    async (msg) => {
      const parsed = parse(JSON.parse(Buffer.from(msg.data).toString('utf8')));
      if (!parsed.ok) throw parsed.error;
      seen.push({ subject: msg.subject, value: parsed.value, headers: { ...msg.headers } });
      await msg.ack();
    },
    { filterSubject, ackWaitMs: 5_000, maxDeliver: 1 },
  );
  return { seen, consumer };
}

/** Stored messages of a stream on a subject (acked work-queue messages are gone). */
function stored(broker: MemoryBroker, stream: string, subject: string): number {
  return [...(broker.streams.get(stream)?.messages.values() ?? [])].filter((m) => m.subject === subject).length;
}

/**
 * A Bus that fails chosen durable publishes and records, in order, publishes and how pokes were settled: a fake
 * implementing the port around the in-process adapter (every other method is the adapter's own).
 */
interface RecordingBus {
  readonly bus: Bus;
  readonly log: string[];
  failNext: number;
}

function recordingBus(inner: Bus): RecordingBus {
  const rec: RecordingBus = { bus: inner, log: [], failNext: 0 };
  const overrides: Partial<Bus> = {
    async publishDurable(subject, payload, opts) {
      if (subject !== subjects.cmd.poke && rec.failNext > 0) {
        rec.failNext -= 1;
        rec.log.push(`publish-failed ${subject}`);
        throw new Error('simulated bus outage');
      }
      const result = await inner.publishDurable(subject, payload, opts);
      if (subject !== subjects.cmd.poke) rec.log.push(`published ${subject}`);
      return result;
    },
    consume(stream, durable, handler, opts) {
      const track = (msg: DurableMessage): DurableMessage => ({
        ...msg,
        ack: async () => {
          rec.log.push(`ack #${msg.deliveryCount}`);
          await msg.ack();
        },
        nak: async (delayMs) => {
          rec.log.push(`nak #${msg.deliveryCount}`);
          await msg.nak(delayMs);
        },
        term: async () => {
          rec.log.push(`term #${msg.deliveryCount}`);
          await msg.term();
        },
      });
      return inner.consume(stream, durable, (msg) => handler(track(msg)), opts);
    },
  };
  (rec as { bus: Bus }).bus = new Proxy(inner, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof Bus];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return rec;
}

describe('poke router', () => {
  let broker: MemoryBroker;
  let bus: MemoryBus;
  let recording: RecordingBus;
  let store: DeviceStore;
  let router: PokeRouter;
  let now: number;
  const consumers: Consumer[] = [];

  beforeEach(async () => {
    broker = new MemoryBroker();
    bus = createMemoryBus({ broker });
    recording = recordingBus(bus);
    store = createSqliteDeviceStore({ filename: ':memory:' });
    now = NOW;
    // As if every transport's worker were deployed, so fallback plans show; fewer are tested on their own.
    router = createPokeRouter({ store, bus: recording.bus, subjects, secretBox, logger, clock: () => now, retryDelayMs: 10, transports: ['http', 'udp', 'xmpp'] });
    await router.start();
  });

  afterEach(async () => {
    await router.stop();
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await bus.close();
    await store.close();
  });

  const httpCommands = async () => {
    const c = await collect(bus, subjects.streams.commands.name, 'connreq-http', subjects.cmd.connreq.http, parseConnreqHttpCommand);
    consumers.push(c.consumer);
    return c.seen;
  };
  const events = async () => {
    const c = await collect(bus, subjects.streams.events.name, 'test-events', subjects.evt.allConnreqs, parseConnreqEvent);
    consumers.push(c.consumer);
    return c.seen;
  };
  const poke = (requestId: string, deviceId = DEVICE, msgId = requestId, headers?: Record<string, string>) =>
    bus.publishDurable(subjects.cmd.poke, { deviceId, requestId }, { msgId, ...(headers ? { headers } : {}) });
  const pokesLeft = () => stored(broker, subjects.streams.commands.name, subjects.cmd.poke);

  async function addDevice(fields: { sourceIp: string; url: string; udp?: string }) {
    await store.upsertDevice(
      {
        id: DEVICE,
        oui: '02A0C5',
        productClass: 'SimGW',
        serialNumber: 'SN1',
        sourceIp: fields.sourceIp,
        connectionRequest: { connectionRequestURL: fields.url, ...(fields.udp ? { udpConnectionRequestAddress: fields.udp } : {}) },
        connectionRequestAuth: { username: 'cr-user', passwordSealed: secretBox.encrypt('cr-pass'), source: 'nbi' },
      },
      NOW - 60_000,
    );
  }

  it('publishes the first transport command with msgId requestId:0, the rest as fallback, and records lastPoke', async () => {
    await addDevice({ sourceIp: '127.0.0.1', url: 'http://127.0.0.1:7547/cr', udp: '127.0.0.1:5000' });
    const commands = await httpCommands();
    await poke('req-1', DEVICE, 'req-1', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const [cmd] = await waitFor('the HTTP command', () => (commands.length > 0 ? commands : undefined));
    expect(cmd?.value).toEqual({
      requestId: 'req-1',
      deviceId: DEVICE,
      deadline: new Date(NOW + 30_000).toISOString(),
      issuedAt: new Date(NOW).toISOString(),
      url: 'http://127.0.0.1:7547/cr',
      credentials: { username: 'cr-user', password: 'cr-pass' },
      allowBasicAuth: false,
      fallback: [{ transport: 'udp', command: expect.objectContaining({ host: '127.0.0.1', port: 5000, credentials: { username: 'cr-user', password: 'cr-pass' } }) }],
      attempts: [],
    });
    // The trace goes on with the command.
    expect(cmd?.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect((await store.getDevice(DEVICE))?.lastPoke).toEqual({ requestId: 'req-1', at: NOW });
    // The same msgId again would be a duplicate: the router used requestId:0.
    expect((await bus.publishDurable(subjects.cmd.connreq.http, {}, { msgId: 'req-1:0' })).duplicate).toBe(true);
    await waitFor('the poke to be acked', () => (pokesLeft() === 0 ? true : undefined));
  });

  it('plans only the transports whose workers are deployed (here HTTP): a UDP-only device gets no_route, never a stranded command', async () => {
    await router.stop();
    router = createPokeRouter({ store, bus: recording.bus, subjects, secretBox, logger, clock: () => now, retryDelayMs: 10, transports: ['http'] });
    await router.start();
    await store.upsertDevice(
      {
        id: DEVICE,
        oui: '02A0C5',
        productClass: 'SimGW',
        serialNumber: 'SN1',
        sourceIp: '127.0.0.1',
        connectionRequest: { udpConnectionRequestAddress: '127.0.0.1:5000' },
        connectionRequestAuth: { username: 'cr-user', passwordSealed: secretBox.encrypt('cr-pass'), source: 'nbi' },
      },
      NOW - 60_000,
    );
    const seenEvents = await events();
    await poke('req-udp-only');
    const [event] = await waitFor('the no_route event', () => (seenEvents.length > 0 ? seenEvents : undefined));
    expect(event?.value).toMatchObject({ requestId: 'req-udp-only', transport: 'none', outcome: 'no_route' });
    expect(event?.value.detail).toContain('udp: no worker for this transport is deployed');
    expect(stored(broker, subjects.streams.commands.name, subjects.cmd.connreq.udp)).toBe(0);
  });

  it('answers a poke for an unknown device with a final no_route event and nothing else', async () => {
    const [seenEvents, commands] = [await events(), await httpCommands()];
    await poke('req-unknown', '02A0C5-SimGW-NOPE');
    const [event] = await waitFor('the no_route event', () => (seenEvents.length > 0 ? seenEvents : undefined));
    expect(event?.subject).toBe(subjects.evt.connreq('02A0C5-SimGW-NOPE'));
    expect(event?.value).toMatchObject({ requestId: 'req-unknown', deviceId: '02A0C5-SimGW-NOPE', transport: 'none', outcome: 'no_route', detail: 'unknown device' });
    expect((await bus.publishDurable(subjects.evt.connreq('02A0C5-SimGW-NOPE'), {}, { msgId: 'req-unknown:final' })).duplicate).toBe(true);
    await waitFor('the poke to be acked', () => (pokesLeft() === 0 ? true : undefined));
    expect(commands).toEqual([]);
  });

  it('ends a NAT dead end in no_route with the reason, publishing no command and recording no poke', async () => {
    // Never sent: the test must not produce traffic towards a private address.
    await addDevice({ sourceIp: '203.0.113.7', url: 'http://192.168.1.1:7547/cr' });
    const [seenEvents, commands] = [await events(), await httpCommands()];
    await poke('req-nat');
    const [event] = await waitFor('the no_route event', () => (seenEvents.length > 0 ? seenEvents : undefined));
    expect(event?.value).toMatchObject({ outcome: 'no_route', transport: 'none', latencyMs: 0 });
    expect(event?.value.detail).toContain('192.168.1.1 is a private address while the CPE calls in from public 203.0.113.7');
    await waitFor('the poke to be acked', () => (pokesLeft() === 0 ? true : undefined));
    expect(commands).toEqual([]);
    expect(stored(broker, subjects.streams.commands.name, subjects.cmd.connreq.http)).toBe(0);
    expect((await store.getDevice(DEVICE))?.lastPoke).toBeNull();
  });

  it('routes a requestId once within the dedup window, whether the poke or the command is the duplicate', async () => {
    await addDevice({ sourceIp: '127.0.0.1', url: 'http://127.0.0.1:7547/cr' });
    expect((await poke('req-dup')).duplicate).toBe(false);
    // The same poke again: the commands stream drops it.
    expect((await poke('req-dup')).duplicate).toBe(true);
    await waitFor('the first poke to be routed', () => (stored(broker, subjects.streams.commands.name, subjects.cmd.connreq.http) === 1 ? true : undefined));
    // A client that used another msgId: routed again, but its command is the duplicate.
    now += 1_000;
    await poke('req-dup', DEVICE, 'other-msg-id');
    await waitFor('the second poke to be acked', () => (pokesLeft() === 0 ? true : undefined));
    const commands = await httpCommands();
    await waitFor('the command', () => (commands.length > 0 ? true : undefined));
    expect(commands.map((c) => c.value.requestId)).toEqual(['req-dup']);
    expect(stored(broker, subjects.streams.commands.name, subjects.cmd.connreq.http)).toBe(0);
  });

  it('dead-letters an invalid poke and terminates it', async () => {
    const letters = await collect(bus, subjects.streams.deadLetters.name, 'test-dlq', subjects.deadLetterAll, parseDeadLetter);
    consumers.push(letters.consumer);
    await bus.publishDurable(subjects.cmd.poke, { deviceId: '', requestId: 'x' }, { msgId: 'bad-1' });
    await bus.publishDurable(subjects.cmd.poke, new TextEncoder().encode('not json'), { msgId: 'bad-2' });
    await waitFor('two dead letters', () => (letters.seen.length === 2 ? true : undefined));
    expect(letters.seen.map((l) => l.subject)).toEqual([subjects.deadLetter(subjects.cmd.poke), subjects.deadLetter(subjects.cmd.poke)]);
    expect(letters.seen[0]?.value).toMatchObject({ subject: subjects.cmd.poke, reason: 'INVALID_PAYLOAD', issues: [expect.objectContaining({ path: ['deviceId'] })] });
    expect(Buffer.from(letters.seen[1]?.value.payloadBase64 ?? '', 'base64').toString()).toBe('not json');
    expect(recording.log).toEqual(['published acs.dlq.cmd.poke', 'term #1', 'published acs.dlq.cmd.poke', 'term #1']);
    expect(pokesLeft()).toBe(0);
  });

  it('acks a poke only after its command was published: a failed publish leaves it for redelivery', async () => {
    await addDevice({ sourceIp: '127.0.0.1', url: 'http://127.0.0.1:7547/cr' });
    recording.failNext = 1;
    await poke('req-flaky');
    await waitFor('the redelivered poke to be acked', () => (recording.log.includes('ack #2') ? true : undefined));
    expect(recording.log).toEqual(['publish-failed acs.cmd.connreq.http', 'nak #1', 'published acs.cmd.connreq.http', 'ack #2']);
    expect(stored(broker, subjects.streams.commands.name, subjects.cmd.connreq.http)).toBe(1);
    expect(pokesLeft()).toBe(0);
  });

  it('keeps a poke whose publish keeps failing in the stream, unacked', async () => {
    await addDevice({ sourceIp: '127.0.0.1', url: 'http://127.0.0.1:7547/cr' });
    recording.failNext = 1_000;
    await poke('req-down');
    await waitFor('a few failed deliveries', () => (recording.log.filter((l) => l.startsWith('nak')).length >= 3 ? true : undefined));
    expect(recording.log.some((l) => l.startsWith('ack'))).toBe(false);
    expect(pokesLeft()).toBe(1);
  });

  it('answers no_route naming the failure when its last delivery still cannot route the poke', async () => {
    await router.stop();
    const broken = createSqliteDeviceStore({ filename: ':memory:' });
    await broken.close();
    const events = await collect(bus, subjects.streams.events.name, 'test-events-broken', subjects.evt.allConnreqs, parseConnreqEvent);
    consumers.push(events.consumer);
    router = createPokeRouter({ store: broken, bus: recording.bus, subjects, secretBox, logger, clock: () => now, retryDelayMs: 10, maxDeliver: 3, transports: ['http'] });
    await router.start();
    await poke('req-broken');
    const [event] = await waitFor('the final event', () => (events.seen.length > 0 ? events.seen : undefined));
    expect(event?.value).toMatchObject({ requestId: 'req-broken', outcome: 'no_route', transport: 'none' });
    expect(event?.value.detail).toMatch(/^routing failed after 3 deliveries: /);
    expect(recording.log).toEqual(['nak #1', 'nak #2', `published ${subjects.evt.connreq(DEVICE)}`, 'ack #3']);
    expect(pokesLeft()).toBe(0);
  });

  it('routes several pokes at once, never more than its concurrency, and stop() waits for them', async () => {
    await router.stop();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let running = 0;
    let peak = 0;
    // A store whose device reads wait at a gate: a fake around the real adapter (every other method is its own).
    const gated = new Proxy(store, {
      get(target, prop) {
        if (prop === 'getDevice') {
          return async (id: string) => {
            running += 1;
            peak = Math.max(peak, running);
            await gate;
            running -= 1;
            return target.getDevice(id);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await addDevice({ sourceIp: '127.0.0.1', url: 'http://127.0.0.1:7547/cr' });
    router = createPokeRouter({ store: gated, bus: recording.bus, subjects, secretBox, logger, clock: () => now, concurrency: 3, transports: ['http'] });
    await router.start();
    for (let i = 0; i < 7; i++) await poke(`req-c${i}`);
    await waitFor('three pokes in flight', () => (running === 3 ? true : undefined));
    const stopped = router.stop();
    open();
    await stopped;
    expect(peak).toBe(3);
    // The three taken before stop() were routed and acked; the rest stay for another replica.
    expect(recording.log.filter((l) => l.startsWith('ack'))).toHaveLength(3);
    expect(stored(broker, subjects.streams.commands.name, subjects.cmd.connreq.http)).toBe(3);
    expect(pokesLeft()).toBe(4);
  });

  it('refuses to start twice', async () => {
    await expect(router.start()).rejects.toBeInstanceOf(PokeRouterStateError);
  });
});
