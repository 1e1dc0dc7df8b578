// MongoDB-wire server benchmark (prints figures; not a test): the operations the registry's Mongo store does on its
// hot path, with the raw driver, against each MongoDB-wire test server @acs/testkit starts: FerretDB v1 (SQLite
// backend), FerretDB v1 on PostgreSQL (a throwaway cluster, fsync off), mongo-java-server (in-memory backend) and
// SecantusDB's Python server (secantusd-py, WiredTiger; from PyPI). It says how much of a distributed benchmark's time is the test
// server rather than the registry. One client, one operation at a time (latency-bound) except the claim race.
// FerretDB v1 on SQLite and mongo-java-server do not build the secondary index of (c): the former scans for any
// filter but `_id`, the latter ignores non-unique indexes; (c') is the by-`_id` read beside it. FerretDB's server CPU
// on PostgreSQL is FerretDB's plus the postmaster's and its backends'.
// Run: npm run bench:mongo-wire -- --seconds 3 --servers ferretdb,ferretdb-postgres,mongo-java-server,secantusdb
import { createRequire } from 'node:module';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import {
  FERRETDB_VERSION,
  MONGO_JAVA_SERVER_VERSION,
  SECANTUSDB_VERSION,
  startFerretDb,
  startFerretDbPostgres,
  startMongoJavaServer,
  startSecantusDb,
} from '@acs/testkit';
import { sampleProcessTreeCpu } from './support/processes.js';

type Db = mongoose.mongo.Db;

const SERVERS = {
  ferretdb: { label: `FerretDB ${FERRETDB_VERSION} (SQLite)`, start: startFerretDb },
  'ferretdb-postgres': { label: `FerretDB ${FERRETDB_VERSION} (PostgreSQL)`, start: startFerretDbPostgres },
  'mongo-java-server': { label: `mongo-java-server ${MONGO_JAVA_SERVER_VERSION} (memory)`, start: startMongoJavaServer },
  secantusdb: { label: `SecantusDB ${SECANTUSDB_VERSION} (secantusd-py, WiredTiger)`, start: startSecantusDb },
} as const;
type ServerName = keyof typeof SERVERS;

const TREE_KEYS = 500; // parameters in the written tree (a mid-sized TR-181 device)
const TREE_UPDATED_PARAMETERS = 10; // × 2 fields (value, readAt): a 20-path $set, an Inform's worth
const DEVICES = 5_000; // the indexed-find collection
const CLAIMANTS = 64; // concurrent conditional claims on one task
const INSERT_BATCH = 100; // insertMany size
const WARMUP_MS = 500; // per operation, uncounted (the JVM's JIT; FerretDB's SQLite page cache)
const SETUP_WAIT_MS = 180_000;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    'max-ops': { type: 'string', default: '100000' },
    trees: { type: 'string', default: '50' },
    servers: { type: 'string', default: Object.keys(SERVERS).join(',') },
  },
});
const seconds = Number(args.seconds);
const maxOps = Number(args['max-ops']);
const trees = Number(args.trees);
const servers = args.servers.split(',').filter((s) => s !== '') as ServerName[];
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) throw new RangeError('--seconds: per operation and server, 0..120');
if (!Number.isInteger(maxOps) || maxOps < 1 || maxOps > 10_000_000) throw new RangeError('--max-ops: an integer 1..10000000');
if (!Number.isInteger(trees) || trees < 1 || trees > 1_000) throw new RangeError('--trees: parameter trees in the collection, 1..1000');
for (const s of servers) if (!(s in SERVERS)) throw new RangeError(`--servers: ${s} is not one of ${Object.keys(SERVERS).join(', ')}`);

interface Row {
  operation: string;
  server: string;
  ops: number;
  wallMs: number;
  latenciesMs: number[];
  serverCpuSeconds: number;
  note?: string;
}

// The registry's parameter-tree document: escaped paths under `p` (see the Mongo store's parameter-tree.ts).
const escapeKey = (path: string) => path.replace(/[%.$\0]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const treeKeys = Array.from({ length: TREE_KEYS }, (_, i) => escapeKey(`Device.Services.X_Vendor.Table.${Math.floor(i / 10) + 1}.Field${i % 10}`));
function tree(id: string): { _id: string; p: Record<string, unknown> } {
  const p: Record<string, unknown> = {};
  for (const k of treeKeys) p[k] = { v: `value of ${k}`, t: 'xsd:string', w: true, r: 1_767_225_600_000 };
  return { _id: id, p };
}
function informSet(n: number): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (let i = 0; i < TREE_UPDATED_PARAMETERS; i++) {
    const k = treeKeys[(n * TREE_UPDATED_PARAMETERS + i) % TREE_KEYS];
    set[`p.${k}.v`] = `v${n}`;
    set[`p.${k}.r`] = n;
  }
  return set;
}

async function setUp(db: Db): Promise<void> {
  const treesColl = db.collection<{ _id: string }>('parameterTrees');
  for (let i = 0; i < trees; i += 10) {
    await treesColl.insertMany(Array.from({ length: Math.min(10, trees - i) }, (_, j) => tree(`tree-${i + j}`)));
  }
  const devices = db.collection<{ _id: string }>('devices');
  await devices.createIndex({ serialNumber: 1 });
  for (let i = 0; i < DEVICES; i += 500) {
    await devices.insertMany(
      Array.from({ length: 500 }, (_, j) => ({
        _id: `00D09E-IGD-${i + j}`,
        serialNumber: `SN${String(i + j).padStart(6, '0')}`,
        productClass: (i + j) % 3 === 0 ? 'STB' : 'IGD',
        oui: '00D09E',
        lastInformAt: 1_767_225_600_000 + i + j,
        tags: [],
      })),
    );
  }
}

/** Runs `op(n)` one at a time until the time or count cap, after an uncounted warm-up; returns its row. */
async function measure(operation: string, server: string, cpu: () => number, op: (n: number) => Promise<unknown>, note?: string): Promise<Row> {
  let n = 0;
  for (const warmEnd = performance.now() + WARMUP_MS; performance.now() < warmEnd; ) await op(n++);
  const latenciesMs: number[] = [];
  const cpu0 = cpu();
  const t0 = performance.now();
  const end = t0 + seconds * 1_000;
  while (latenciesMs.length < maxOps && performance.now() < end) {
    const s = performance.now();
    await op(n++);
    latenciesMs.push(performance.now() - s);
  }
  const wallMs = performance.now() - t0;
  return { operation, server, ops: latenciesMs.length, wallMs, latenciesMs, serverCpuSeconds: cpu() - cpu0, note };
}

async function benchServer(name: ServerName): Promise<{ rows: Row[]; version: string; totalCpuSeconds: number; claimFailures: number }> {
  const { label, start } = SERVERS[name];
  process.stderr.write(`starting ${label}...\n`);
  // FerretDB on PostgreSQL also says the postmaster's pid.
  const server: { url: string; pid: number | undefined; postgresPid?: number | undefined; stop(): Promise<void> } = await start();
  const client = new mongoose.mongo.MongoClient(server.url, { directConnection: true, serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    const version = `reports MongoDB ${String(info.version)}${typeof info.ferretdbVersion === 'string' ? `, ferretdbVersion ${info.ferretdbVersion}` : ''}`;
    const db = client.db('bench');
    process.stderr.write(`  loading ${trees} trees of ${TREE_KEYS} parameters and ${DEVICES} devices...\n`);
    await setUp(db);
    const treesColl = db.collection<{ _id: string }>('parameterTrees');
    const devices = db.collection<{ _id: string; serialNumber: string }>('devices');
    const tasks = db.collection<{ _id: string; status: string }>('tasks');
    const small = db.collection<{ _id: string }>('small');
    const target = `tree-${Math.floor(trees / 2)}`;
    const rows: Row[] = [];
    // Every process of the server: FerretDB's, and on PostgreSQL the postmaster's tree too.
    const pids = [server.pid, server.postgresPid];
    const cpu = (): number => pids.reduce<number>((sum, p) => sum + sampleProcessTreeCpu(p), 0);

    process.stderr.write('  (a) updateOne $set by _id\n');
    rows.push(await measure(`(a) updateOne {_id} $set ${TREE_UPDATED_PARAMETERS * 2} paths, ${TREE_KEYS}-key tree`, label, cpu, async (n) => {
      const res = await treesColl.updateOne({ _id: target }, { $set: informSet(n) });
      if (res.matchedCount !== 1) throw new Error(`updateOne matched ${res.matchedCount}`);
    }));
    process.stderr.write('  (b) findOneAndUpdate $set by _id\n');
    rows.push(await measure(`(b) findOneAndUpdate {_id} $set ${TREE_UPDATED_PARAMETERS * 2} paths, after`, label, cpu, async (n) => {
      const doc = await treesColl.findOneAndUpdate({ _id: target }, { $set: informSet(n) }, { returnDocument: 'after' });
      if (!doc) throw new Error('findOneAndUpdate found no tree');
    }));
    // The last write must be what a read sees (the fields of the last n).
    const check = (await treesColl.findOne({ _id: target })) as { p: Record<string, { v: string; r: number }> } | null;
    const lastKey = treeKeys[0]!;
    if (typeof check?.p[lastKey]?.v !== 'string') throw new Error('the updated tree lost its parameters');

    process.stderr.write('  (c) find by indexed secondary field\n');
    rows.push(await measure(`(c) find {serialNumber} (indexed), ${DEVICES} docs`, label, cpu, async (n) => {
      const sn = `SN${String((n * 7_919) % DEVICES).padStart(6, '0')}`;
      const found = await devices.find({ serialNumber: sn }).toArray();
      if (found.length !== 1) throw new Error(`find ${sn}: ${found.length} documents`);
    }));
    // The registry's own read by id (findOne: FerretDB serves a limit of 1 much faster than a plain find).
    rows.push(await measure(`(c') findOne {_id}, ${DEVICES} docs (baseline for c)`, label, cpu, async (n) => {
      const found = await devices.findOne({ _id: `00D09E-IGD-${(n * 7_919) % DEVICES}` });
      if (!found) throw new Error('findOne by _id found nothing');
    }));

    process.stderr.write(`  (d) ${CLAIMANTS} concurrent claims per round\n`);
    const winners: number[] = [];
    const claim = await measure(`(d) ${CLAIMANTS} concurrent findOneAndUpdate {_id, status:'pending'} claims (one round = one op)`, label, cpu, async (n) => {
      const _id = `task-${n}`;
      await tasks.insertOne({ _id, status: 'pending' });
      const results = await Promise.all(
        Array.from({ length: CLAIMANTS }, () => tasks.findOneAndUpdate({ _id, status: 'pending' }, { $set: { status: 'running' } }, { returnDocument: 'after' })),
      );
      winners.push(results.filter((r) => r !== null).length);
    });
    // Warm-up rounds count here too: every round must have exactly one winner. The registry relies on that only where
    // the server is not FerretDB (its detectConditionalWrites: buildInfo's ferretdbVersion), so only there is a
    // second winner a failure of the run.
    const relied = typeof info.ferretdbVersion !== 'string';
    const badRounds = winners.filter((w) => w !== 1).length;
    const spread = [...new Set(winners)].sort((a, b) => a - b).join('/');
    claim.note =
      badRounds === 0
        ? `exactly 1 winner in all ${winners.length} rounds`
        : `NOT exactly one winner in ${badRounds} of ${winners.length} rounds (winners seen: ${spread})${relied ? ' — FAILURE' : '; known of FerretDB v1, the registry uses read-check-write there'}`;
    const claimFailures = relied ? badRounds : 0;
    rows.push(claim);

    process.stderr.write(`  (e) insertMany of ${INSERT_BATCH}\n`);
    rows.push(await measure(`(e) insertMany ${INSERT_BATCH} small docs (one batch = one op)`, label, cpu, async (n) => {
      const res = await small.insertMany(Array.from({ length: INSERT_BATCH }, (_, i) => ({ _id: `s-${n}-${i}`, deviceId: `d${i}`, at: n, kind: 'event' })));
      if (res.insertedCount !== INSERT_BATCH) throw new Error(`insertMany inserted ${res.insertedCount}`);
    }));

    return { rows, version, totalCpuSeconds: cpu(), claimFailures };
  } finally {
    await client.close();
    await server.stop();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function withDeadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform} ${process.arch}`;
// The servers run in process groups of their own, which Ctrl-C does not reach: exiting lets @acs/testkit kill them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

let exitCode = 0;
const results: { name: ServerName; version: string; totalCpuSeconds: number; rows: Row[] }[] = [];
const driverCpu0 = process.cpuUsage();
for (const name of servers) {
  try {
    const r = await withDeadline(name, SETUP_WAIT_MS + seconds * 1_000 * 8, benchServer(name));
    if (r.claimFailures > 0) exitCode = 1;
    results.push({ name, ...r });
  } catch (err) {
    process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitCode = 1;
  }
}
const driverCpu = process.cpuUsage(driverCpu0);

// The driver mongoose bundles (its package has no exports map, so its package.json resolves).
const driverVersion = (createRequire(import.meta.resolve('mongoose'))('mongodb/package.json') as { version: string }).version;
const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const lines = [
  `MongoDB-wire server benchmark — ${new Date().toISOString()}`,
  `machine: ${machine}`,
  `driver: mongodb ${driverVersion} (mongoose ${mongoose.version}'s), one client; ${seconds} s per row after ${WARMUP_MS} ms warm-up, at most ${maxOps} ops; ${trees} trees of ${TREE_KEYS} parameters, ${DEVICES} devices`,
  ...results.map((r) => `server: ${SERVERS[r.name].label}, ${r.version}; CPU ${fmt(r.totalCpuSeconds)} s over its whole run (set-up included)`),
  `this process (driver): ${fmt((driverCpu.user + driverCpu.system) / 1e6)} CPU s over all servers`,
  '',
  '| operation | server | ops | ops/s | p50 ms | p99 ms | server CPU s | server CPU ms/op | note |',
  '|---|---|---|---|---|---|---|---|---|',
];
const operations = [...new Set(results.flatMap((r) => r.rows.map((row) => row.operation)))];
for (const operation of operations) {
  for (const r of results) {
    const row = r.rows.find((x) => x.operation === operation);
    if (!row) continue;
    const sorted = [...row.latenciesMs].sort((a, b) => a - b);
    lines.push(
      `| ${operation} | ${row.server} | ${row.ops} | ${fmt((row.ops / row.wallMs) * 1_000, 0)} | ${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 99))} | ${fmt(row.serverCpuSeconds)} | ${fmt((row.serverCpuSeconds * 1_000) / row.ops)} | ${row.note ?? ''} |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
// Every server is stopped; leftover sockets or timers must not keep a finished benchmark alive.
process.exit(exitCode);
