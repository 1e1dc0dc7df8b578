// Session benchmark (prints figures; not a test). One driver (@acs/cpe-sim fleets, compact TR-181 model, Digest
// onboarding credentials) against every target in the same run, rounds interleaved across targets, medians
// reported: the ceiling (bench/support/ceiling-server.ts), the all-in-one, the distributed stack behind HAProxy,
// and GENIEACS_CWMP_URL when set. Each target runs in processes of its own, so their CPU and RSS are theirs.
// Run: npm run bench -- --cpes 50,200 --rounds 3 --targets ceiling,all-in-one,distributed
import { availableParallelism, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { deviceIdFromParts } from '@acs/contracts';
import { createFleet, type Fleet, type SessionResult } from '@acs/cpe-sim';
import { compactTr181Model } from '../packages/e2e/test/support/compact-model.js';
import { sampleProcess } from './support/processes.js';
import { otherAcs, startAllInOne, startCeiling, startDistributed, type Target, type TargetName } from './support/targets.js';

const SCENARIOS = {
  first: 'first contact (onboarding + profile + discovery)',
  known: 'known device: Inform → InformResponse → 204',
  gpv: 'Inform + one GetParameterValues',
} as const;
type Scenario = keyof typeof SCENARIOS;
const OURS: TargetName[] = ['ceiling', 'all-in-one', 'distributed'];

const { values: args } = parseArgs({
  options: {
    cpes: { type: 'string', default: '50,200' },
    rounds: { type: 'string', default: '3' },
    targets: { type: 'string', default: OURS.join(',') },
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
  },
});
const fleetSizes = args.cpes.split(',').map(Number);
const rounds = Number(args.rounds);
const targetNames = args.targets.split(',').map((t) => t.trim()) as TargetName[];
const scenarios = args.scenarios.split(',').map((s) => s.trim()) as Scenario[];
for (const n of fleetSizes) if (!Number.isInteger(n) || n < 1 || n > 2_000) throw new RangeError('--cpes: integers 1..2000');
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new RangeError('--rounds: an integer 1..20');
for (const t of targetNames) if (!OURS.includes(t)) throw new RangeError(`--targets: ${t} is not one of ${OURS.join(', ')}`);
for (const s of scenarios) if (!(s in SCENARIOS)) throw new RangeError(`--scenarios: ${s} is not one of ${Object.keys(SCENARIOS).join(', ')}`);
const otherUrl = process.env.GENIEACS_CWMP_URL;

/** One round of one scenario against one target. */
interface Round {
  sessions: number;
  ok: number;
  wallMs: number;
  p50: number;
  p99: number;
  cpu: Record<string, number>;
  rss: Record<string, number>;
  storeOps?: number;
  roundTrips?: number;
  driverCpuS: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};

function newFleet(target: Target, count: number, prefix: string): Fleet {
  return createFleet({
    acsUrl: target.cwmpUrl,
    count,
    model: compactTr181Model(),
    serialPrefix: prefix,
    ...(target.onboarding ? { username: target.onboarding.username, password: target.onboarding.password } : {}),
    connectionRequest: false,
    retry: false,
    httpTimeoutMs: 300_000,
  });
}

/** Runs one session per CPE of `fleet`, all at once, measuring the target's processes around it. */
async function measure(target: Target, fleet: Fleet): Promise<Round> {
  const cpuBefore = Object.fromEntries(Object.entries(target.pids).map(([role, pid]) => [role, sampleProcess(pid).cpuSeconds]));
  const countersBefore = await target.counters?.();
  const driverBefore = process.cpuUsage();
  const started = Date.now();
  const results: SessionResult[] = await fleet.run({ sessions: fleet.cpes.length, concurrency: fleet.cpes.length });
  const wallMs = Date.now() - started;
  const driver = process.cpuUsage(driverBefore);
  const countersAfter = await target.counters?.();
  const cpu: Record<string, number> = {};
  const rss: Record<string, number> = {};
  for (const [role, pid] of Object.entries(target.pids)) {
    const s = sampleProcess(pid);
    cpu[role] = s.cpuSeconds - (cpuBefore[role] ?? 0);
    rss[role] = s.rssBytes;
  }
  const ok = results.filter((r) => r.ok);
  const latencies = ok.map((r) => r.durationMs).sort((a, b) => a - b);
  return {
    sessions: results.length,
    ok: ok.length,
    wallMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpu,
    rss,
    ...(countersBefore && countersAfter
      ? { storeOps: countersAfter.storeOps - countersBefore.storeOps, roundTrips: countersAfter.roundTrips - countersBefore.roundTrips }
      : {}),
    driverCpuS: (driver.user + driver.system) / 1e6,
  };
}

async function queueGpv(target: Target, fleet: Fleet): Promise<void> {
  if (!target.nbi) return;
  for (const cpe of fleet.cpes) {
    const id = deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
    await target.nbi.createTask(id, { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.UpTime'] } });
  }
}

interface Cell {
  target: TargetName;
  cpes: number;
  scenario: Scenario;
  rounds: Round[];
}

async function run(targets: Target[]): Promise<Cell[]> {
  const cells: Cell[] = [];
  const cell = (target: Target, cpes: number, scenario: Scenario): Cell => {
    let c = cells.find((x) => x.target === target.name && x.cpes === cpes && x.scenario === scenario);
    if (!c) cells.push((c = { target: target.name, cpes, scenario, rounds: [] }));
    return c;
  };
  for (const cpes of fleetSizes) {
    // Known devices: one fleet per target, booted once; the boot is the first round of the first-contact row.
    const known = new Map<Target, Fleet>();
    try {
      for (const target of targets) {
        const fleet = newFleet(target, cpes, `K${cpes}X`);
        known.set(target, fleet);
        await fleet.start();
        process.stderr.write(`${cpes} CPEs, first contact, round 1/${rounds}: ${target.name}\n`);
        const boot = await measure(target, fleet);
        if (scenarios.includes('first')) cell(target, cpes, 'first').rounds.push(boot);
      }
      for (const scenario of scenarios) {
        for (let r = scenario === 'first' ? 1 : 0; r < rounds; r++) {
          for (const target of targets) {
            process.stderr.write(`${cpes} CPEs, ${scenario}, round ${r + 1}/${rounds}: ${target.name}\n`);
            const fleet = scenario === 'first' ? newFleet(target, cpes, `F${cpes}R${r}X`) : (known.get(target) as Fleet);
            try {
              if (scenario === 'first') await fleet.start();
              if (scenario === 'gpv') await queueGpv(target, fleet);
              cell(target, cpes, scenario).rounds.push(await measure(target, fleet));
            } finally {
              if (scenario === 'first') await fleet.stop();
            }
          }
        }
      }
    } finally {
      for (const fleet of known.values()) await fleet.stop();
    }
  }
  return cells;
}

function table(cells: Cell[]): string {
  const header = ['CPEs', 'scenario', 'target', 'sessions (failed)', 'sessions/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'CPU s / 1000 sessions', 'RSS MB', 'store ops / session', 'round trips / session'];
  const rows = cells.map((c) => {
    const perSecond = median(c.rounds.map((r) => (r.ok * 1000) / r.wallMs));
    const ceiling = cells.find((x) => x.target === 'ceiling' && x.cpes === c.cpes && x.scenario === c.scenario);
    const ceilingRate = ceiling ? median(ceiling.rounds.map((r) => (r.ok * 1000) / r.wallMs)) : Number.NaN;
    const sessions = c.rounds.reduce((a, r) => a + r.sessions, 0);
    const failed = c.rounds.reduce((a, r) => a + r.sessions - r.ok, 0);
    const roles = Object.keys(c.rounds[0]?.cpu ?? {});
    const cpu = roles.map((role) => `${role} ${median(c.rounds.map((r) => ((r.cpu[role] ?? 0) * 1000) / r.sessions)).toFixed(1)}`);
    cpu.push(`driver ${median(c.rounds.map((r) => (r.driverCpuS * 1000) / r.sessions)).toFixed(1)}`);
    const rss = roles.map((role) => `${role} ${Math.round(Math.max(...c.rounds.map((r) => r.rss[role] ?? 0)) / 2 ** 20)}`);
    const perSession = (f: (r: Round) => number | undefined) => {
      const xs = c.rounds.map((r) => f(r)).filter((x): x is number => x !== undefined);
      return xs.length === 0 ? '—' : median(xs.map((x, i) => x / (c.rounds[i]?.sessions ?? 1))).toFixed(1);
    };
    return [
      String(c.cpes),
      SCENARIOS[c.scenario],
      c.target,
      `${sessions} (${failed})`,
      perSecond.toFixed(1),
      String(Math.round(median(c.rounds.map((r) => r.p50)))),
      String(Math.round(median(c.rounds.map((r) => r.p99)))),
      c.target === 'ceiling' || Number.isNaN(ceilingRate) ? '—' : `${((100 * perSecond) / ceilingRate).toFixed(1)} %`,
      cpu.join(', '),
      rss.join(', ') || '—',
      perSession((r) => r.storeOps),
      perSession((r) => r.roundTrips),
    ];
  });
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const starters: Record<TargetName, () => Promise<Target>> = {
  ceiling: startCeiling,
  'all-in-one': startAllInOne,
  distributed: startDistributed,
  other: async () => otherAcs(otherUrl as string),
};
const names: TargetName[] = [...targetNames, ...(otherUrl ? (['other'] as const) : [])];
const targets: Target[] = [];
const stopAll = async () => {
  for (const t of targets.splice(0)) await t.stop().catch(() => undefined);
};
// Ctrl-C or SIGTERM: stop what was started (the testkit's servers die with us anyway).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().then(() => process.exit(130)));
try {
  for (const name of names) targets.push(await starters[name]());
  const cpu = cpus()[0]?.model ?? 'unknown';
  process.stdout.write(
    `ACS session benchmark — ${new Date().toISOString()}\n` +
      `machine: ${availableParallelism()} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ` +
      `MongoDB-wire server of the distributed target: mongo-java-server (in memory)\n` +
      `${rounds} round(s) per cell, interleaved across targets; figures are medians over rounds (RSS: the largest)\n\n`,
  );
  process.stdout.write(`${table(await run(targets))}\n`);
} finally {
  await stopAll();
}
