// Poke benchmark (prints figures; not a test): poke → connection request accepted → session started, through the
// distributed stack in one process but on real servers: NATS (JetStream) and Redis from @acs/testkit, the registry
// (SQLite store, or MongoDB adapter on FerretDB) with its poke router, a gateway, the HTTP connection-request worker,
// every component on its own NATS connection, and simulated CPEs whose connection-request listeners are on loopback.
// Run: npm run bench:pokes -- --cpes 50 --pokes 500 --concurrency 20 --store sqlite [--transport xmpp|udp]
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { deviceIdFromParts, type ConnreqOutcome } from '@acs/contracts';
import { createFleet, type Fleet } from '@acs/cpe-sim';
import { createLogger } from '@acs/telemetry';
import { compactTr181Model } from '../packages/e2e/test/support/compact-model.js';
import { sampleProcess } from './support/processes.js';
import { CONNECTION_REQUEST, startPokeStack, type Pending, type PokeStack } from './support/poke-stack.js';

const STORES = ['sqlite', 'mongo'] as const;
type StoreKind = (typeof STORES)[number];
const TRANSPORTS = ['http', 'xmpp', 'udp'] as const;
type Transport = (typeof TRANSPORTS)[number];
// The device type's connection-request deadline: a poke that cannot be delivered ends in an event by then.
const POKE_DEADLINE_MS = 10_000;
// Our own waits, each longer than what the stack promises, so a missing event is counted rather than waited for.
const CONNREQ_EVENT_WAIT_MS = POKE_DEADLINE_MS + 10_000;
const SESSION_START_WAIT_MS = 30_000;
const SESSION_END_WAIT_MS = 60_000;
const SETUP_WAIT_MS = 180_000;
const TEARDOWN_WAIT_MS = 30_000;

const { values: args } = parseArgs({
  options: {
    cpes: { type: 'string', default: '50' },
    pokes: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite' },
    // xmpp / udp: the profile provisions XMPP / STUN on every CPE, and pokes go out over it (HTTP as the fallback).
    transport: { type: 'string', default: 'http' },
    // No poke is published after this; those outstanding still end within their own deadlines.
    'max-seconds': { type: 'string', default: '600' },
  },
});
const cpes = Number(args.cpes);
const pokes = Number(args.pokes);
const concurrency = Number(args.concurrency);
const maxSeconds = Number(args['max-seconds']);
const storeKind = args.store as StoreKind;
const transport = args.transport as Transport;
if (!Number.isInteger(cpes) || cpes < 1 || cpes > 2_000) throw new RangeError('--cpes: an integer 1..2000');
if (!Number.isInteger(pokes) || pokes < 1 || pokes > 100_000) throw new RangeError('--pokes: an integer 1..100000');
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new RangeError('--concurrency: an integer 1..1000');
if (!Number.isFinite(maxSeconds) || maxSeconds < 1 || maxSeconds > 3_600) throw new RangeError('--max-seconds: 1..3600');
if (!STORES.includes(storeKind)) throw new RangeError(`--store: ${String(args.store)} is not one of ${STORES.join(', ')}`);
if (!TRANSPORTS.includes(transport)) throw new RangeError(`--transport: ${String(args.transport)} is not one of ${TRANSPORTS.join(', ')}`);
// CPEs rate-limit connection requests: never more than one poke outstanding per device.
const outstanding = Math.min(concurrency, cpes);

const logger = createLogger({ service: 'acs-bench-pokes', level: 'error' });

/** What one poke came to: the connreq outcome (or none by our deadline), and times from the publish in ms. */
interface PokeResult {
  outcome: ConnreqOutcome | 'no_event';
  /** The transport of the final event (none for no_route). */
  transport?: string;
  acceptedMs?: number;
  sessionStartMs?: number;
  /** UDP: from the datagram leaving connreq-stun to the session start it saw (its own clock, from the event's detail). */
  datagramToSessionMs?: number;
  /** After `accepted`: session.started with this requestId seen, not seen, or seen without the requestId. */
  session?: 'started' | 'missing' | 'started_unnamed';
}

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  readonly code = 'DEADLINE';
  constructor(what: string, ms: number, options?: ErrorOptions) {
    super(`${what}: no result within ${ms} ms`, options);
  }
}

function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Resolves true once `done()` holds (checked on every wake), false at the deadline. */
function until(p: Pending, done: () => boolean, ms: number): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      p.wake = undefined;
      resolve(false);
    }, ms);
    p.wake = () => {
      if (!done()) return;
      clearTimeout(timer);
      p.wake = undefined;
      resolve(true);
    };
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const ms = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));

/** A simulated CPE with the count of its connection-request sessions that have ended. */
interface Device {
  readonly id: string;
  crSessions: number;
  wake?: () => void;
}

function untilSessionEnded(device: Device, count: number, ms: number): Promise<boolean> {
  if (device.crSessions >= count) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      device.wake = undefined;
      resolve(false);
    }, ms);
    device.wake = () => {
      if (device.crSessions < count) return;
      clearTimeout(timer);
      device.wake = undefined;
      resolve(true);
    };
  });
}

/** One poke to a CPE that has nothing outstanding; resolves once the CPE is free for the next one. */
async function pokeOnce(stack: PokeStack, device: Device): Promise<PokeResult> {
  const { id: deviceId } = device;
  const requestId = randomUUID();
  const doneBefore = device.crSessions;
  const p: Pending = { deviceId, t0: performance.now() };
  stack.pending.set(requestId, p);
  try {
    await stack.publisher.publishDurable(stack.subjects.cmd.poke, { deviceId, requestId }, { msgId: requestId });
    if (!(await until(p, () => p.connreq !== undefined, CONNREQ_EVENT_WAIT_MS)) || !p.connreq) return { outcome: 'no_event' };
    const { outcome, transport: via } = p.connreq;
    if (outcome !== 'accepted') return { outcome, transport: via };
    const result: PokeResult = { outcome, transport: via, acceptedMs: p.connreq.at - p.t0, session: 'missing' };
    const udp = via === 'udp' ? /session started (\d+) ms after the request/.exec(p.connreq.detail ?? '') : null;
    if (udp) result.datagramToSessionMs = Number(udp[1]);
    await until(p, () => p.started !== undefined || p.startedUnnamed === true, SESSION_START_WAIT_MS);
    if (p.started) {
      result.session = 'started';
      result.sessionStartMs = p.started.at - p.t0;
    } else if (p.startedUnnamed) result.session = 'started_unnamed';
    // The CPE is free again once its connection-request session is over (it would answer 503 meanwhile).
    await untilSessionEnded(device, doneBefore + 1, SESSION_END_WAIT_MS);
    return result;
  } finally {
    stack.pending.delete(requestId);
  }
}

async function bench(stack: PokeStack): Promise<{ results: PokeResult[]; wallMs: number; bootMs: number }> {
  let fleet: Fleet | undefined;
  try {
    fleet = createFleet({
      acsUrl: stack.cwmpUrl,
      count: cpes,
      model: compactTr181Model({ xmpp: transport === 'xmpp' }),
      serialPrefix: 'PBENCH',
      username: stack.onboarding.username,
      password: stack.onboarding.password,
      connectionRequest: { host: '127.0.0.1', rateLimitMs: 0 },
      retry: false,
      httpTimeoutMs: 60_000,
      ...(stack.xmpp ? { xmpp: { caFile: stack.xmpp.prosody.caFile } } : { xmpp: false as const }),
      ...(stack.stun ? { stun: {} } : { stun: false as const }),
    });
    return await runFleet(stack, fleet);
  } finally {
    await fleet?.stop();
  }
}

/** Every CPE logged in with the account the ACS created, and every ConnReqJabberID learnt by the registry. */
async function xmppReady(stack: PokeStack, fleet: Fleet): Promise<void> {
  const t0 = performance.now();
  const ids = fleet.cpes.map((cpe) => deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber));
  const allKnown = async () => (await Promise.all(ids.map((id) => stack.store.getDevice(id)))).every((d) => Boolean(d?.connectionRequest.connReqJabberID));
  const poll = async () => {
    while (fleet.xmppStatus().Enabled !== cpes || !(await allKnown())) await new Promise((resolve) => setTimeout(resolve, 250));
  };
  await withDeadline('XMPP logins and ConnReqJabberIDs', SETUP_WAIT_MS, poll());
  process.stderr.write(`${cpes} CPEs logged in to XMPP and known by their JID in ${Math.round(performance.now() - t0)} ms\n`);
}

/** Every CPE holding a STUN binding, and every binding known to the registry as the UDP connection-request address. */
async function stunReady(stack: PokeStack, fleet: Fleet): Promise<void> {
  const t0 = performance.now();
  const ids = fleet.cpes.map((cpe) => deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber));
  const allKnown = async () => (await Promise.all(ids.map((id) => stack.store.getDevice(id)))).every((d) => Boolean(d?.connectionRequest.udpConnectionRequestAddress));
  const poll = async () => {
    while (fleet.stunStatus().bound !== cpes || !(await allKnown())) await new Promise((resolve) => setTimeout(resolve, 250));
  };
  await withDeadline('STUN bindings', SETUP_WAIT_MS, poll());
  process.stderr.write(`${cpes} CPEs bound through STUN and known by their UDP address in ${Math.round(performance.now() - t0)} ms\n`);
}

async function runFleet(stack: PokeStack, fleet: Fleet): Promise<{ results: PokeResult[]; wallMs: number; bootMs: number }> {
  await fleet.start();
  const bootStart = performance.now();
  const boot = await withDeadline('onboarding', SETUP_WAIT_MS, fleet.run({ sessions: cpes, concurrency: outstanding }));
  const bootMs = performance.now() - bootStart;
  const failed = boot.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`${failed.length}/${cpes} boot sessions failed, first: ${failed[0]?.error?.message ?? 'unknown'}`);
  process.stderr.write(`${cpes} CPEs onboarded in ${Math.round(bootMs)} ms\n`);
  if (stack.xmpp) await xmppReady(stack, fleet);
  if (stack.stun) await stunReady(stack, fleet);
  process.stderr.write('poking...\n');

  const devices = fleet.cpes.map((cpe) => {
    const device: Device = { id: deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber), crSessions: 0 };
    cpe.onSession((r) => {
      if (!r.events.includes(CONNECTION_REQUEST)) return;
      device.crSessions++;
      device.wake?.();
    });
    return device;
  });
  // Idle devices in FIFO order, so pokes spread over the whole fleet.
  const idle = [...devices];
  const results: PokeResult[] = [];
  const stopPublishingAt = Date.now() + maxSeconds * 1_000;
  let published = 0;
  const started = performance.now();
  const lane = async () => {
    while (published < pokes && Date.now() < stopPublishingAt) {
      const device = idle.shift();
      // Lanes never exceed the fleet size, so a lane always finds an idle device.
      if (!device) throw new Error('no idle device (bug: more lanes than CPEs)');
      published++;
      results.push(await pokeOnce(stack, device));
      idle.push(device);
      if (results.length % 100 === 0) process.stderr.write(`  ${results.length}/${pokes} pokes\n`);
    }
  };
  await Promise.all(Array.from({ length: outstanding }, lane));
  return { results, wallMs: performance.now() - started, bootMs };
}

const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform} ${process.arch}`;
process.stderr.write(`starting NATS, Redis${storeKind === 'mongo' ? ', FerretDB' : ''}${transport === 'xmpp' ? ', Prosody, connreq-xmpp' : ''}${transport === 'udp' ? ', connreq-stun' : ''} and the stack...\n`);
// The servers run in process groups of their own, which Ctrl-C does not reach: exiting lets @acs/testkit kill them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
let exitCode = 0;
const stack = await withDeadline('starting the stack', SETUP_WAIT_MS, startPokeStack({ store: storeKind, transport, deadlineMs: POKE_DEADLINE_MS, logger }));
try {
  const { results, wallMs, bootMs } = await bench(stack);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const accepted = results.filter((r) => r.outcome === 'accepted');
  const via = new Map<string, number>();
  for (const r of accepted) via.set(r.transport ?? '?', (via.get(r.transport ?? '?') ?? 0) + 1);
  const worker = stack.xmpp ? sampleProcess(stack.xmpp.worker.child.pid) : stack.stun ? sampleProcess(stack.stun.worker.child.pid) : undefined;
  const sessions = new Map<string, number>();
  for (const r of accepted) sessions.set(r.session ?? 'missing', (sessions.get(r.session ?? 'missing') ?? 0) + 1);
  const toAccepted = accepted.map((r) => r.acceptedMs as number).sort((a, b) => a - b);
  const toSession = accepted.filter((r) => r.sessionStartMs !== undefined).map((r) => r.sessionStartMs as number).sort((a, b) => a - b);
  const line = (label: string, sorted: number[]) =>
    `| ${label} | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 95))} | ${ms(percentile(sorted, 99))} | ${ms(sorted.at(-1) ?? Number.NaN)} |`;
  process.stdout.write(
    [
      `ACS poke benchmark — ${new Date().toISOString()}`,
      `machine: ${machine}`,
      `store: ${storeKind}${storeKind === 'mongo' ? ' (MongoDB adapter on FerretDB, SQLite backend)' : ' (SQLite, in memory)'}; NATS JetStream + Redis; registry + poke router, gateway, connreq-http worker in one process, one NATS connection each`,
      `transport: ${transport}${stack.xmpp ? ' (Prosody; connreq-xmpp in its own process; the profile provisions XMPP on every CPE; router order xmpp, http)' : ''}${stack.stun ? ' (connreq-stun in its own process; the profile provisions STUN with integrity on every CPE; 3 copies per request; router order udp, http)' : ''}`,
      `CPEs: ${cpes} (compact TR-181 model, onboarded in ${Math.round(bootMs)} ms); pokes: ${results.length} of ${pokes}; at most ${outstanding} outstanding, one per CPE`,
      `outcomes: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}; accepted over ${[...via].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      ...(worker ? [`${stack.stun ? 'connreq-stun' : 'connreq-xmpp'} process: RSS ${(worker.rssBytes / 2 ** 20).toFixed(0)} MB, CPU ${worker.cpuSeconds.toFixed(1)} s over the whole run (${cpes} CPEs ${stack.stun ? 'bound' : 'connected'})`] : []),
      `sessions after accepted: ${[...sessions].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      `pokes/s: ${((accepted.length / wallMs) * 1_000).toFixed(1)} accepted per wall second (${(wallMs / 1_000).toFixed(1)} s; a poke is outstanding until its session ended)`,
      '',
      '| latency from publish | n | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---|---|---|---|---|',
      line('poke → connreq accepted', toAccepted),
      line('poke → session.started (same requestId)', toSession),
      ...(transport === 'udp' ? [line('UDP datagram sent → session.started seen by connreq-stun', accepted.filter((r) => r.datagramToSessionMs !== undefined).map((r) => r.datagramToSessionMs as number).sort((a, b) => a - b))] : []),
      '',
    ].join('\n'),
  );
  if (accepted.length !== results.length || toSession.length !== accepted.length) exitCode = 1;
} catch (err) {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitCode = 1;
} finally {
  await withDeadline('teardown', TEARDOWN_WAIT_MS, stack.stop()).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    exitCode = 1;
  });
}
// Every server is stopped; leftover sockets or timers must not keep a finished benchmark alive.
process.exit(exitCode);
