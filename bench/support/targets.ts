// The ACSs the session benchmark drives, each started as separate processes so that their CPU and memory are
// theirs (the driver's own are printed apart): the ceiling, the all-in-one, the distributed stack behind HAProxy,
// and any other ACS at GENIEACS_CWMP_URL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnOwned, startHaproxy, waitReady, type OwnedProcess } from '@acs/testkit';
import { startDistributedStack } from '../../packages/e2e/test/support/distributed-stack.js';
import { NbiClient } from '../../packages/e2e/test/support/nbi-client.js';
import { scrapeCounter } from './processes.js';

export type TargetName = 'ceiling' | 'all-in-one' | 'distributed' | 'other';

export interface Target {
  readonly name: TargetName;
  readonly cwmpUrl: string;
  /** Where tasks are queued (GetParameterValues rows); none for the ceiling and an other ACS. */
  readonly nbi?: NbiClient;
  readonly onboarding?: { username: string; password: string };
  /** The processes whose CPU and RSS count, by role. */
  readonly pids: Readonly<Record<string, number | undefined>>;
  /** The registry's Prometheus page (our ACS only). */
  readonly metricsUrl?: string;
  /** Store operations and registry round trips so far (our ACS only). */
  counters?(): Promise<{ storeOps: number; roundTrips: number }>;
  stop(): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url);
const path = (p: string) => fileURLToPath(new URL(p, ROOT));

/**
 * `args` under node as a testkit-owned process (killed with its group when the bench exits), ready once a line of
 * its output matches `ready`; returns it and its output lines so far. `tempDir` goes with it on stop.
 */
async function startNode(what: string, args: string[], env: Record<string, string>, ready: RegExp, tempDir?: string): Promise<{ proc: OwnedProcess; lines: string[] }> {
  const proc = spawnOwned(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, ...(tempDir === undefined ? {} : { tempDir }) });
  const lines = () => proc.output().split('\n');
  await waitReady(proc, what, async () => lines().some((line) => ready.test(line)), 60_000);
  return { proc, lines: lines() };
}

// A long grace: a profiled process writes its profile as it exits.
const STOP_GRACE_MS = 30_000;

const field = (lines: string[], re: RegExp): string => {
  for (const line of lines) {
    const m = re.exec(line);
    if (m?.[1]) return m[1];
  }
  throw new Error(`no line matches ${re}: ${lines.join(' | ')}`);
};

const counterReader = (metricsUrl: string) => async () => ({
  storeOps: await scrapeCounter(metricsUrl, 'acs_registry_store_operations_total'),
  roundTrips: await scrapeCounter(metricsUrl, 'acs_registry_requests_total'),
});

export async function startCeiling(): Promise<Target> {
  const { proc, lines } = await startNode('ceiling server', ['--import', 'tsx', path('bench/support/ceiling-server.ts')], {}, /^http:/);
  return { name: 'ceiling', cwmpUrl: field(lines, /^(http:\S+)$/), pids: { ceiling: proc.child.pid }, stop: () => proc.stop(STOP_GRACE_MS) };
}

/** `profileDir`: each process writes a V8 CPU profile there when it exits (bench:profile). */
const profiling = (profileDir: string | undefined): string[] => (profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);

export async function startAllInOne(profileDir?: string): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acs-bench-'));
  const onboarding = { username: 'bench', password: randomBytes(12).toString('base64url') };
  const token = randomBytes(24).toString('base64url');
  const metricsPort = await freePort();
  const { proc, lines } = await startNode(
    'all-in-one',
    [...profiling(profileDir && join(profileDir, 'all-in-one')), path('apps/acs/dist/main.js')],
    {
      ACS_DATA_DIR: dataDir,
      CWMP_PORT: '0',
      NBI_PORT: '0',
      ACS_NBI_TOKEN: token,
      ACS_ONBOARDING_USERNAME: onboarding.username,
      ACS_ONBOARDING_PASSWORD: onboarding.password,
      ACS_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'error',
    },
    /^Ready\./,
    dataDir,
  );
  return {
    name: 'all-in-one',
    cwmpUrl: field(lines, /^CWMP endpoint:\s+(\S+)$/),
    nbi: new NbiClient(field(lines, /^NBI endpoint:\s+(\S+)$/), token),
    onboarding,
    pids: { acs: proc.child.pid },
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    counters: counterReader(`http://127.0.0.1:${metricsPort}/metrics`),
    stop: () => proc.stop(STOP_GRACE_MS),
  };
}

export async function startDistributed(profileDir?: string): Promise<Target> {
  const metricsPort = await freePort();
  const stack = await startDistributedStack({
    gatewayEnv: { LOG_LEVEL: 'error' },
    registryEnv: { LOG_LEVEL: 'error', REGISTRY_METRICS_PORT: String(metricsPort) },
    gatewayNodeArgs: profiling(profileDir && join(profileDir, 'gateways')),
    registryNodeArgs: profiling(profileDir && join(profileDir, 'registry')),
  });
  // HAProxy (round robin, no stickiness, shared upstream connections) as a production load balancer would.
  const proxy = await startHaproxy({ backends: stack.gateways.map((g) => ({ host: '127.0.0.1', port: g.port })), reuse: true });
  const [gw1, gw2] = stack.gateways;
  return {
    name: 'distributed',
    cwmpUrl: `${proxy.url}/cwmp/`,
    nbi: stack.nbi,
    onboarding: stack.onboarding,
    pids: {
      registry: stack.registry.proc.child.pid,
      'gateway-1': gw1?.proc.child.pid,
      'gateway-2': gw2?.proc.child.pid,
      nats: stack.serverPids.nats,
      redis: stack.serverPids.redis,
      mongo: stack.serverPids.mongo,
      haproxy: proxy.pid,
    },
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    counters: counterReader(`http://127.0.0.1:${metricsPort}/metrics`),
    async stop() {
      await proxy.stop();
      await Promise.all([stack.registry, ...stack.gateways].map((p) => p.proc.stop(STOP_GRACE_MS)));
      await stack.stop();
    },
  };
}

/** Another ACS (GenieACS) at a URL the operator gives; it admits the simulated CPEs without credentials. */
export function otherAcs(url: string): Target {
  return { name: 'other', cwmpUrl: url, pids: {}, stop: async () => undefined };
}
