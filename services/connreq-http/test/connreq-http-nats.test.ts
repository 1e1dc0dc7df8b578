// 1,000 connection requests over a REAL nats-server (JetStream work queue, one durable shared by the replicas)
// to 50 simulated CPEs: every requestId ends in exactly one final event, also when a replica running in a child
// process (the built dist/main.js) is SIGKILLed in the middle of the run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type Consumer, type NatsBus } from '@acs/bus';
import { createSubjects, decodePayload, parseConnreqEvent, type ConnreqEvent } from '@acs/contracts';
import { createHttpConnectionRequestEndpoint, type ConnectionRequestEndpoint } from '@acs/cpe-sim';
import { createLogger } from '@acs/telemetry';
import { freePort, spawnOwned, startNats, waitReady, type NatsServer, type OwnedProcess } from '@acs/testkit';
import { createConnreqHttpWorker, type ConnreqHttpWorker } from '../src/worker.js';

const CREDS = { username: 'cruser', password: 'crpass' };
const CPES = 50;
const COMMANDS = 1_000;
const ACK_WAIT_MS = 5_000;
const MIN_INTERVAL_MS = 20;
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN_JS = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const logger = createLogger({ service: 'connreq-http-it', level: 'silent' });

let nats: NatsServer;
const endpoints: ConnectionRequestEndpoint[] = [];
const accepted = new Map<number, number>();

function assertFreshDist(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: build first (npx tsc -p tsconfig.build.json in ${PACKAGE_DIR})`);
  const built = statSync(MAIN_JS).mtimeMs;
  const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
  const stale = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(`${srcDir}${f}`).mtimeMs > built);
  if (stale.length > 0) throw new Error(`dist/ is older than src/${stale[0]}: build first (npx tsc -p tsconfig.build.json)`);
}

beforeAll(async () => {
  assertFreshDist();
  nats = await startNats();
  for (let i = 0; i < CPES; i++) {
    const endpoint = createHttpConnectionRequestEndpoint({
      credentials: () => CREDS,
      onRequest: () => accepted.set(i, (accepted.get(i) ?? 0) + 1),
      rateLimitMs: 0,
    });
    await endpoint.start();
    endpoints.push(endpoint);
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.stop()));
  await nats?.stop();
});

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Run {
  readonly prefix: string;
  readonly bus: NatsBus;
  readonly events: ConnreqEvent[];
  readonly observer: Consumer;
  publishAll(tag: string): Promise<string[]>;
  worker(): Promise<ConnreqHttpWorker>;
  close(): Promise<void>;
}

/** A fresh subject prefix per run, so the two runs share the server but no stream. */
async function run(prefix: string): Promise<Run> {
  const subjects = createSubjects(prefix);
  const bus = await createNatsBus({ servers: nats.url, name: `it-${prefix}` });
  await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
  const events: ConnreqEvent[] = [];
  const observer = await bus.consume(
    subjects.streams.events.name,
    'it-observer',
    async (m) => {
      const parsed = decodePayload(m.data, parseConnreqEvent);
      if (parsed.ok) events.push(parsed.value);
      await m.ack();
    },
    { ackWaitMs: 30_000, maxDeliver: 3, filterSubject: subjects.evt.allConnreqs },
  );
  const buses: NatsBus[] = [bus];
  const workers: ConnreqHttpWorker[] = [];
  return {
    prefix,
    bus,
    events,
    observer,
    async publishAll(tag) {
      const ids: string[] = [];
      const deadline = new Date(Date.now() + 50_000).toISOString();
      const issuedAt = new Date().toISOString();
      // In batches: one awaited round trip per command would make publishing the slow part of the test.
      for (let start = 0; start < COMMANDS; start += 100) {
        const batch: Promise<unknown>[] = [];
        for (let i = start; i < Math.min(COMMANDS, start + 100); i++) {
          const cpe = i % CPES;
          const requestId = `${tag}-${i}`;
          ids.push(requestId);
          const command = { requestId, deviceId: `000000-Sim-${cpe}`, url: endpoints[cpe]?.url, credentials: CREDS, deadline, issuedAt };
          batch.push(bus.publishDurable(subjects.cmd.connreq.http, command, { msgId: requestId }));
        }
        await Promise.all(batch);
      }
      return ids;
    },
    async worker() {
      const own = await createNatsBus({ servers: nats.url, name: `it-worker-${prefix}-${buses.length}` });
      buses.push(own);
      const worker = createConnreqHttpWorker({
        bus: own,
        subjects,
        logger,
        concurrency: 32,
        minIntervalPerDeviceMs: MIN_INTERVAL_MS,
        retry: { baseMs: 50, maxMs: 500 },
        http: { connectTimeoutMs: 1_000, timeoutMs: 2_000 },
        ackWaitMs: ACK_WAIT_MS,
      });
      await worker.start();
      workers.push(worker);
      return worker;
    },
    async close() {
      await observer.stop();
      for (const w of workers) await w.stop();
      for (const b of buses) await b.drain();
    },
  };
}

function tally(events: readonly ConnreqEvent[]): { perId: Map<string, ConnreqEvent[]> } {
  const perId = new Map<string, ConnreqEvent[]>();
  for (const e of events) perId.set(e.requestId, [...(perId.get(e.requestId) ?? []), e]);
  return { perId };
}

describe('connreq-http over real NATS JetStream', () => {
  it('two replicas share 1,000 commands: every requestId ends in exactly one accepted event', async () => {
    const r = await run('it1');
    try {
      const a = await r.worker();
      const b = await r.worker();
      let maxA = 0;
      let maxB = 0;
      const sampler = setInterval(() => {
        maxA = Math.max(maxA, a.inFlight);
        maxB = Math.max(maxB, b.inFlight);
      }, 5);
      const ids = await r.publishAll('one');
      await waitFor('1,000 events', () => r.events.length >= COMMANDS, 40_000);
      clearInterval(sampler);
      const { perId } = tally(r.events);
      expect(perId.size).toBe(COMMANDS);
      expect(ids.every((id) => perId.get(id)?.length === 1)).toBe(true);
      expect(r.events.every((e) => e.outcome === 'accepted' && e.transport === 'http')).toBe(true);
      // Both replicas did work.
      expect(maxA).toBeGreaterThan(0);
      expect(maxB).toBeGreaterThan(0);
    } finally {
      await r.close();
    }
  }, 60_000);

  it('a replica SIGKILLed mid-run loses nothing and duplicates nothing', async () => {
    const r = await run('it2');
    let child: OwnedProcess | undefined;
    try {
      let childAccepted = 0;
      let childReady = false;
      const healthPort = await freePort();
      child = spawnOwned(process.execPath, [MAIN_JS], {
        env: {
          ...process.env,
          NODE_ENV: 'production',
          NATS_URL: nats.url,
          ACS_SUBJECT_PREFIX: r.prefix,
          LOG_LEVEL: 'debug',
          CONNREQ_HTTP_CONCURRENCY: '32',
          CONNREQ_HTTP_MIN_INTERVAL_MS: String(MIN_INTERVAL_MS),
          CONNREQ_HTTP_RETRY_BASE_MS: '50',
          CONNREQ_HTTP_ACK_WAIT_MS: String(ACK_WAIT_MS),
          CONNREQ_HTTP_HEALTH_PORT: String(healthPort),
        },
      });
      let buffered = '';
      child.child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('"connreq-http ready"')) childReady = true;
          if (line.includes('"connection request accepted"')) childAccepted += 1;
        }
      });
      const proc = child;
      await waitReady(proc, 'connreq-http child', async () => childReady, 20_000);
      // What a Kubernetes probe sees while the consumer runs.
      const readyz = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      expect([readyz.status, await readyz.json()]).toEqual([200, { ready: true }]);
      await r.worker();
      const ids = await r.publishAll('two');
      // Kill it while it holds work: it has published some outcomes and the run is far from done.
      await waitFor('the child to do some work', () => childAccepted >= 50, 20_000);
      const eventsAtKill = r.events.length;
      proc.child.kill('SIGKILL');
      await waitFor('the child to die', () => proc.child.signalCode === 'SIGKILL', 5_000);
      expect(eventsAtKill).toBeLessThan(COMMANDS);

      // The survivor takes the rest, and the killed replica's unacked commands after their ackWait.
      await waitFor('1,000 requestIds answered', () => tally(r.events).perId.size >= COMMANDS, 40_000);
      const { perId } = tally(r.events);
      expect(ids.filter((id) => !perId.has(id))).toEqual([]);
      expect([...perId.values()].filter((list) => list.length > 1)).toEqual([]);
      expect([...perId.values()].filter((list) => list.filter((e) => e.outcome === 'accepted').length > 1)).toEqual([]);
      expect(r.events.every((e) => e.outcome === 'accepted')).toBe(true);
      expect(childAccepted).toBeGreaterThanOrEqual(50);
    } finally {
      await child?.stop(0);
      await r.close();
    }
  }, 60_000);
});
