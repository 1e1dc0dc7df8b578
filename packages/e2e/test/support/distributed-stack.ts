import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, spawnOwned, startFerretDb, startMongoJavaServer, startNats, startRedis, waitReady, type OwnedProcess } from '@acs/testkit';
import { NbiClient } from './nbi-client.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy.js';

// packages/e2e/test/support -> the repo root; the services run from their built dist/ like in production.
const ROOT = new URL('../../../../', import.meta.url);
const REGISTRY_MAIN = fileURLToPath(new URL('services/device-registry/dist/main.js', ROOT));
const GATEWAY_MAIN = fileURLToPath(new URL('services/cwmp-gateway/dist/main.js', ROOT));

export interface ServiceProcess {
  readonly proc: OwnedProcess;
  readonly port: number;
  /** SIGKILL: no drain, no goodbye (a crashed replica). */
  kill(): Promise<void>;
}

export interface DistributedStack {
  /** The CWMP URL the CPEs use: the round-robin proxy in front of the gateways. */
  readonly cwmpUrl: string;
  readonly proxy: RoundRobinProxy;
  /** Process ids of the servers (benchmarks read their CPU and memory). */
  readonly serverPids: Readonly<Record<'nats' | 'redis' | 'mongo', number | undefined>>;
  readonly gateways: readonly ServiceProcess[];
  readonly registry: ServiceProcess;
  readonly nbi: NbiClient;
  readonly onboarding: { username: string; password: string };
  stop(): Promise<void>;
}

function service(proc: OwnedProcess, port: number, name: string): ServiceProcess {
  // E2E_SERVICE_LOGS=1 shows the services' own logs (debugging a failing run).
  if (process.env.E2E_SERVICE_LOGS === '1') {
    const echo = (b: Buffer) => process.stderr.write(`[${name}] ${b.toString()}`);
    proc.child.stdout?.on('data', echo);
    proc.child.stderr?.on('data', echo);
  }
  return {
    proc,
    port,
    kill: () =>
      new Promise<void>((resolve) => {
        const child = proc.child;
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
        child.once('exit', () => resolve());
        process.kill(-child.pid, 'SIGKILL');
      }),
  };
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * The separate-process stack: real nats-server (JetStream), redis-server and FerretDB, the registry's
 * main.js (NBI included) and two gateway main.js as child processes configured by env, and a round-robin
 * proxy in front of the gateways.
 */
export async function startDistributedStack(
  options: {
    gatewayEnv?: Record<string, string>;
    registryEnv?: Record<string, string>;
    gatewayNodeArgs?: string[];
    registryNodeArgs?: string[];
    /**
     * The MongoDB-wire server. Default mongo-java-server (in memory): the fastest of those the store contract passes
     * whole on (docs/benchmarks.md); FerretDB v1 (SQLite) serialises every write and scans collections.
     */
    mongo?: 'mongo-java-server' | 'ferretdb';
  } = {},
): Promise<DistributedStack> {
  const ferretdb = options.mongo === 'ferretdb';
  const [nats, redis, mongo] = await Promise.all([startNats(), startRedis(), ferretdb ? startFerretDb() : startMongoJavaServer()]);
  const started: ServiceProcess[] = [];
  const stopServers = () => Promise.all([nats.stop(), redis.stop(), mongo.stop()]);
  try {
    const token = randomBytes(24).toString('base64url');
    const onboarding = { username: 'e2e-onboard', password: randomBytes(12).toString('base64url') };
    const common = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: process.env.E2E_SERVICE_LOG_LEVEL ?? 'warn', NATS_URL: nats.url, CWMP_AUTH_REALM: 'acs' };
    const nbiPort = await freePort();
    const registryProc = spawnOwned(process.execPath, [...(options.registryNodeArgs ?? []), REGISTRY_MAIN], {
      env: {
        ...common,
        // FerretDB's SQLite backend has one writer: concurrent writes on several connections fail with
        // SQLITE_BUSY ("database is locked"). One connection queues them instead (MongoDB needs no such cap).
        MONGODB_URL: ferretdb ? `${mongo.url}acs?maxPoolSize=1` : `${mongo.url}acs`,
        ACS_SECRET_KEY: randomBytes(32).toString('base64'),
        ACS_NBI_TOKEN: token,
        NBI_HOST: '127.0.0.1',
        NBI_PORT: String(nbiPort),
        ACS_ONBOARDING_USERNAME: onboarding.username,
        ACS_ONBOARDING_PASSWORD: onboarding.password,
        ...options.registryEnv,
      },
    });
    const registry = service(registryProc, nbiPort, 'registry');
    started.push(registry);
    await waitReady(registryProc, 'device-registry', () => httpOk(`http://127.0.0.1:${nbiPort}/readyz`), 60_000);

    const nonceSecret = randomBytes(32).toString('base64url');
    const gateways: ServiceProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const proc = spawnOwned(process.execPath, [...(options.gatewayNodeArgs ?? []), GATEWAY_MAIN], {
        env: {
          ...common,
          REDIS_URL: redis.url,
          CWMP_HOST: '127.0.0.1',
          CWMP_PORT: String(port),
          CWMP_NONCE_SECRET: nonceSecret,
          // Every CPE reaches the gateways from the proxy's address: the per-IP login limit would count them as one.
          CWMP_AUTH_FAIL_LIMIT: '10000',
          // FerretDB (SQLite backend) on a loaded 2-core box applies a discovery of ~450 parameters in seconds,
          // not milliseconds as MongoDB does: the default 5 s deadline would turn that into 503s.
          CWMP_REGISTRY_TIMEOUT_MS: '180000',
          CWMP_SESSION_TIMEOUT_MS: '300000',
          ...options.gatewayEnv,
        },
      });
      const gw = service(proc, port, `gateway-${i + 1}`);
      started.push(gw);
      gateways.push(gw);
    }
    await Promise.all(gateways.map((g, i) => waitReady(g.proc, `cwmp-gateway ${i + 1}`, () => httpOk(`http://127.0.0.1:${g.port}/readyz`), 60_000)));
    const proxy = await startRoundRobinProxy(gateways.map((g) => ({ host: '127.0.0.1', port: g.port })));
    return {
      cwmpUrl: `${proxy.url}/cwmp/`,
      proxy,
      serverPids: { nats: nats.pid, redis: redis.pid, mongo: mongo.pid },
      gateways,
      registry,
      nbi: new NbiClient(`http://127.0.0.1:${nbiPort}/api/v1`, token),
      onboarding,
      async stop() {
        await proxy.stop();
        await Promise.all(started.map((s) => s.proc.stop()));
        await stopServers();
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.proc.stop()));
    await stopServers();
    throw err;
  }
}
