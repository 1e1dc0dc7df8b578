// Session benchmark (prints figures; not a test): sessions/s and p50/p99 session latency for an empty
// session (Inform → InformResponse → empty POST → 204) and for Inform + one GetParameterValues, with N
// simulated CPEs, against the all-in-one app and against the separate-process stack on real NATS, Redis
// and FerretDB. Run: npm run bench -- --cpes 50 --rounds 3 --targets all-in-one,distributed
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAllInOne } from '@acs/app';
import { deviceIdFromParts } from '@acs/contracts';
import { createFleet, type Fleet, type SessionResult } from '@acs/cpe-sim';
import { createLogger } from '@acs/telemetry';
import { compactTr181Model } from '../packages/e2e/test/support/compact-model.js';
import { startDistributedStack } from '../packages/e2e/test/support/distributed-stack.js';
import { NbiClient } from '../packages/e2e/test/support/nbi-client.js';

const TARGETS = ['all-in-one', 'distributed'] as const;
type Target = (typeof TARGETS)[number];

interface AcsTarget {
  cwmpUrl: string;
  nbi: NbiClient;
  onboarding: { username: string; password: string };
  stop(): Promise<void>;
}

interface Row {
  target: Target;
  scenario: string;
  sessions: number;
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const { values: args } = parseArgs({
  options: {
    cpes: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    targets: { type: 'string', default: TARGETS.join(',') },
  },
});
const cpes = Number(args.cpes);
const rounds = Number(args.rounds);
const targets = args.targets.split(',').map((t) => t.trim()) as Target[];
if (!Number.isInteger(cpes) || cpes < 1 || cpes > 2_000) throw new RangeError('--cpes: an integer 1..2000');
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new RangeError('--rounds: an integer 1..100');
for (const t of targets) if (!TARGETS.includes(t)) throw new RangeError(`--targets: ${t} is not one of ${TARGETS.join(', ')}`);

async function startAllInOne(): Promise<AcsTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acs-bench-'));
  const onboarding = { username: 'bench', password: randomBytes(12).toString('base64url') };
  const app = await createAllInOne({ dataDir, cwmp: { port: 0 }, nbi: { port: 0 }, onboarding, logger: createLogger({ service: 'acs-bench', level: 'error' }) });
  return {
    cwmpUrl: app.cwmpUrl,
    nbi: new NbiClient(app.nbiUrl, app.adminToken as string),
    onboarding,
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startDistributed(): Promise<AcsTarget> {
  const stack = await startDistributedStack({ gatewayEnv: { LOG_LEVEL: 'error' } });
  return { cwmpUrl: stack.cwmpUrl, nbi: stack.nbi, onboarding: stack.onboarding, stop: () => stack.stop() };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function row(target: Target, scenario: string, results: SessionResult[], wallMs: number): Row {
  const ok = results.filter((r) => r.ok);
  const latencies = ok.map((r) => r.durationMs).sort((a, b) => a - b);
  return {
    target,
    scenario,
    sessions: results.length,
    failed: results.length - ok.length,
    perSecond: Math.round((ok.length / (wallMs / 1_000)) * 10) / 10,
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
  };
}

async function bench(target: Target): Promise<Row[]> {
  const acs = target === 'all-in-one' ? await startAllInOne() : await startDistributed();
  let fleet: Fleet | undefined;
  try {
    fleet = createFleet({
      acsUrl: acs.cwmpUrl,
      count: cpes,
      model: compactTr181Model(),
      serialPrefix: 'BENCH',
      username: acs.onboarding.username,
      password: acs.onboarding.password,
      connectionRequest: false,
      retry: false,
      httpTimeoutMs: 120_000,
    });
    await fleet.start();
    // Boot sessions (onboarding, discovery) are set-up, not measured.
    let started = Date.now();
    const boot = await fleet.run({ sessions: cpes, concurrency: cpes });
    const rows = [row(target, 'first contact (set-up: onboarding + discovery)', boot, Date.now() - started)];
    if (boot.some((r) => !r.ok)) return rows;

    const empty: SessionResult[] = [];
    started = Date.now();
    for (let i = 0; i < rounds; i++) empty.push(...(await fleet.run({ sessions: cpes, concurrency: cpes })));
    rows.push(row(target, 'Inform → InformResponse → 204', empty, Date.now() - started));

    const gpv: SessionResult[] = [];
    let wallMs = 0;
    for (let i = 0; i < rounds; i++) {
      // One GPV task per device, queued through the NBI before the round (not timed).
      for (const cpe of fleet.cpes) {
        const id = deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
        await acs.nbi.createTask(id, { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.UpTime'] } });
      }
      started = Date.now();
      gpv.push(...(await fleet.run({ sessions: cpes, concurrency: cpes })));
      wallMs += Date.now() - started;
    }
    const withoutGpv = gpv.filter((r) => r.ok && !r.rpcs.includes('GetParameterValues')).length;
    rows.push(row(target, `Inform + one GetParameterValues${withoutGpv > 0 ? ` (${withoutGpv} without the GPV)` : ''}`, gpv, wallMs));
    return rows;
  } finally {
    await fleet?.stop();
    await acs.stop();
  }
}

const cpu = cpus()[0]?.model ?? 'unknown';
process.stdout.write(
  `ACS session benchmark — ${new Date().toISOString()}\n` +
    `cores: ${availableParallelism()} (${cpu}), node ${process.version}, ${cpes} simulated CPEs (compact TR-181 model), ${rounds} round(s) of ${cpes} sessions per scenario\n\n`,
);
const all: Row[] = [];
for (const target of targets) {
  process.stderr.write(`running against ${target}...\n`);
  all.push(...(await bench(target)));
}
const header = ['target', 'scenario', 'sessions', 'failed', 'sessions/s', 'p50 ms', 'p99 ms'];
const lines = all.map((r) => [r.target, r.scenario, String(r.sessions), String(r.failed), String(r.perSecond), String(r.p50), String(r.p99)]);
process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n${lines.map((l) => `| ${l.join(' | ')} |`).join('\n')}\n`);
