// The worker core on a REAL nats-server (JetStream work queue, one durable shared by the replicas), with a fake
// perform: every requestId ends in exactly one final event, the bound holds per replica, a fallback hop reaches the
// next transport's stream, and a replica stopped with commands waiting hands them back at once (nak) instead of
// leaving them to the ackWait.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type NatsBus } from '@acs/bus';
import {
  DURABLE_CONSUMERS,
  createSubjects,
  decodePayload,
  parseConnreqEvent,
  parseConnreqHttpCommand,
  parseConnreqXmppCommand,
  type ConnreqEvent,
  type ConnreqHttpCommand,
  type ConnreqXmppCommand,
} from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { startNats, type NatsServer } from '@acs/testkit';
import { createConnreqWorker, type ConnreqWorker, type ConnreqWorkerOptions } from '../src/connreq-worker.js';

const COMMANDS = 300;
const ACK_WAIT_MS = 30_000;
const logger = createLogger({ service: 'connreq-worker-it', level: 'silent' });

let nats: NatsServer;
const buses: NatsBus[] = [];

beforeAll(async () => {
  nats = await startNats();
}, 30_000);

afterAll(async () => {
  for (const b of buses) await b.drain();
  await nats?.stop();
});

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function bus(name: string): Promise<NatsBus> {
  const b = await createNatsBus({ servers: nats.url, name });
  buses.push(b);
  return b;
}

/** A fresh subject prefix per test, so the tests share the server but no stream. */
async function setup(prefix: string) {
  const subjects = createSubjects(prefix);
  const main = await bus(`it-${prefix}`);
  await main.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
  const events: ConnreqEvent[] = [];
  const hops: ConnreqXmppCommand[] = [];
  const opts = { ackWaitMs: ACK_WAIT_MS, maxDeliver: 3 };
  await main.consume(subjects.streams.events.name, 'it-observer', async (m) => {
    const parsed = decodePayload(m.data, parseConnreqEvent);
    if (parsed.ok) events.push(parsed.value);
    await m.ack();
  }, { ...opts, filterSubject: subjects.evt.allConnreqs });
  await main.consume(subjects.streams.commands.name, DURABLE_CONSUMERS.connreqXmpp, async (m) => {
    const parsed = decodePayload(m.data, parseConnreqXmppCommand);
    if (parsed.ok) hops.push(parsed.value);
    await m.ack();
  }, { ...opts, filterSubject: subjects.cmd.connreq.xmpp });
  const workers: ConnreqWorker[] = [];
  return {
    subjects,
    events,
    hops,
    async worker(perform: ConnreqWorkerOptions<ConnreqHttpCommand>['perform'], extra: Partial<ConnreqWorkerOptions<ConnreqHttpCommand>> = {}) {
      const worker = createConnreqWorker({
        transport: 'http',
        parse: parseConnreqHttpCommand,
        perform,
        bus: await bus(`it-worker-${prefix}-${workers.length}`),
        subjects,
        logger,
        concurrency: 8,
        minIntervalPerDeviceMs: 0,
        retry: { baseMs: 50, maxMs: 500 },
        tryTimeoutMs: 2_000,
        ackWaitMs: ACK_WAIT_MS,
        ...extra,
      });
      await worker.start();
      workers.push(worker);
      return worker;
    },
    send: (command: Record<string, unknown>) => main.publishDurable(subjects.cmd.connreq.http, command, { msgId: String(command.requestId) }),
    async close() {
      for (const w of workers) await w.stop();
    },
  };
}

const command = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  deviceId: `000000-Sim-${requestId}`,
  url: 'http://127.0.0.1:9/cr',
  deadline: new Date(Date.now() + 50_000).toISOString(),
  ...extra,
});

describe('connreq worker core over real NATS JetStream', () => {
  it(`two replicas share ${COMMANDS} commands: exactly one final event each, never more tries at once than the bound`, async () => {
    const s = await setup('cw1');
    try {
      const running = [0, 0];
      const peak = [0, 0];
      const tried = [0, 0];
      const perform = (i: number) => async () => {
        running[i] = (running[i] ?? 0) + 1;
        peak[i] = Math.max(peak[i] ?? 0, running[i] ?? 0);
        tried[i] = (tried[i] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        running[i] = (running[i] ?? 0) - 1;
        return { outcome: 'accepted' as const };
      };
      await s.worker(perform(0), { concurrency: 4 });
      await s.worker(perform(1), { concurrency: 4 });
      await Promise.all(Array.from({ length: COMMANDS }, (_, i) => s.send(command(`one-${i}`))));
      await waitFor(`${COMMANDS} events`, () => s.events.length >= COMMANDS, 40_000);
      const perId = new Map<string, number>();
      for (const e of s.events) perId.set(e.requestId, (perId.get(e.requestId) ?? 0) + 1);
      expect(perId.size).toBe(COMMANDS);
      expect([...perId.values()].every((n) => n === 1)).toBe(true);
      expect(s.events.every((e) => e.outcome === 'accepted' && e.transport === 'http')).toBe(true);
      // Both replicas did work, neither beyond its bound.
      expect(tried.every((n) => n > 0)).toBe(true);
      expect(Math.max(...peak)).toBeLessThanOrEqual(4);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a failed try with a fallback plan becomes the next transport’s command on its stream', async () => {
    const s = await setup('cw2');
    try {
      await s.worker(async () => ({ outcome: 'unreachable', detail: 'ECONNREFUSED' }));
      const xmpp = { jid: 'cpe1@xmpp.example/ConnReq', credentials: { username: 'u', password: 'p' } };
      await s.send(command('hop-1', { fallback: [{ transport: 'xmpp', command: xmpp }] }));
      await waitFor('the hop', () => s.hops.length === 1, 10_000);
      expect(s.hops[0]).toMatchObject({ requestId: 'hop-1', jid: xmpp.jid, attempts: [expect.objectContaining({ transport: 'http', outcome: 'unreachable' })] });
      expect(s.events).toHaveLength(0);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('stop(): commands waiting for their device interval are handed back at once and end on another replica', async () => {
    const s = await setup('cw3');
    try {
      // One device, so all but the first wait for the 20 s interval (it fits their 28 s window) on the first replica.
      const first = await s.worker(async () => ({ outcome: 'accepted' }), { minIntervalPerDeviceMs: 20_000, concurrency: 4 });
      for (let i = 0; i < 4; i++) await s.send(command(`wait-${i}`, { deviceId: '000000-Sim-same' }));
      await waitFor('the first event and three waiting', () => s.events.length === 1 && first.inFlight === 3, 10_000);
      await first.stop();
      const stoppedAt = Date.now();
      await s.worker(async () => ({ outcome: 'accepted' }));
      await waitFor('the three handed back', () => s.events.length === 4, 10_000);
      // Far sooner than the 30 s ackWait would have given them back.
      expect(Date.now() - stoppedAt).toBeLessThan(ACK_WAIT_MS / 3);
      expect(s.events.map((e) => e.requestId).sort()).toEqual(['wait-0', 'wait-1', 'wait-2', 'wait-3']);
    } finally {
      await s.close();
    }
  }, 30_000);
});
