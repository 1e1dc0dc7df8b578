// `npm run stack`: the distributed ACS on this machine, every service its own OS process, on real servers from
// @acs/testkit: NATS (JetStream), Redis, FerretDB (MongoDB wire), Prosody (XMPP), and HAProxy round-robining CWMP
// across two cwmp-gateway processes (no stickiness). Prints the endpoints; Ctrl-C (or --seconds) stops everything it
// started. Nothing listens beyond 127.0.0.1.
//   npm run stack                       # until Ctrl-C
//   npm run stack -- --seconds 60 --json
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  freePort,
  spawnOwned,
  startFerretDb,
  startHaproxy,
  startNats,
  startProsody,
  startRedis,
  waitReady,
  type OwnedProcess,
} from '@acs/testkit';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    json: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const seconds = args.seconds === undefined ? undefined : Number(args.seconds);
if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0 && seconds <= 86_400)) throw new RangeError('--seconds: 0..86400');

const ROOT = new URL('../', import.meta.url);
const main = (service: string) => fileURLToPath(new URL(`services/${service}/dist/main.js`, ROOT));
const cleanups: Array<() => Promise<unknown>> = [];
const stopAll = async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`stop: ${String(err)}\n`));
};

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** One service's main.js as a process of its own, ready once its /readyz answers 200. */
async function service(name: string, env: Record<string, string>, healthPort: number): Promise<OwnedProcess> {
  const proc = spawnOwned(process.execPath, [main(name)], { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: args['log-level'] as string, ...env } });
  cleanups.push(() => proc.stop());
  await waitReady(proc, name, () => healthy(healthPort), 60_000);
  return proc;
}

async function start() {
  const acs = { username: 'acs', password: randomBytes(12).toString('base64url') };
  const [nats, redis, mongo, prosody] = await Promise.all([startNats(), startRedis(), startFerretDb(), startProsody({ users: [acs] })]);
  cleanups.push(() => nats.stop(), () => redis.stop(), () => mongo.stop(), () => prosody.stop());
  const secrets = {
    ACS_SECRET_KEY: randomBytes(32).toString('base64'),
    CWMP_NONCE_SECRET: randomBytes(32).toString('base64url'),
    ACS_NBI_TOKEN: randomBytes(24).toString('base64url'),
    STUN_SECRET: randomBytes(24).toString('base64url'),
  };
  const onboarding = { username: 'stack', password: randomBytes(12).toString('base64url') };
  const common = { NATS_URL: nats.url, REDIS_URL: redis.url };

  const nbiPort = await freePort();
  await service(
    'device-registry',
    {
      ...common,
      // FerretDB's SQLite backend has one writer: one connection queues the writes instead of failing SQLITE_BUSY.
      MONGODB_URL: `${mongo.url}acs?maxPoolSize=1`,
      ACS_SECRET_KEY: secrets.ACS_SECRET_KEY,
      ACS_NBI_TOKEN: secrets.ACS_NBI_TOKEN,
      NBI_HOST: '127.0.0.1',
      NBI_PORT: String(nbiPort),
      ACS_ONBOARDING_USERNAME: onboarding.username,
      ACS_ONBOARDING_PASSWORD: onboarding.password,
      REGISTRY_CONNREQ_TRANSPORTS: 'http,xmpp,udp',
    },
    nbiPort,
  );
  const gatewayPorts = await Promise.all([freePort(), freePort()]);
  await Promise.all(
    gatewayPorts.map((port) =>
      service('cwmp-gateway', { ...common, CWMP_HOST: '127.0.0.1', CWMP_PORT: String(port), CWMP_NONCE_SECRET: secrets.CWMP_NONCE_SECRET, CWMP_REGISTRY_TIMEOUT_MS: '60000' }, port),
    ),
  );
  const haproxy = await startHaproxy({ backends: gatewayPorts.map((port) => ({ host: '127.0.0.1', port })), reuse: true });
  cleanups.push(() => haproxy.stop());

  const [httpHealth, xmppHealth, stunHealth, stunPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  await Promise.all([
    service('connreq-http', { ...common, CONNREQ_HTTP_HEALTH_PORT: String(httpHealth) }, httpHealth),
    service(
      'connreq-xmpp',
      {
        ...common,
        CONNREQ_XMPP_SERVICE: `xmpp://${prosody.host}:${prosody.port}`,
        CONNREQ_XMPP_DOMAIN: prosody.domain,
        CONNREQ_XMPP_USERNAME: acs.username,
        CONNREQ_XMPP_PASSWORD: acs.password,
        CONNREQ_XMPP_CA_FILE: prosody.caFile,
        CONNREQ_XMPP_HEALTH_PORT: String(xmppHealth),
      },
      xmppHealth,
    ),
    service('connreq-stun', { ...common, STUN_PORT: String(stunPort), STUN_SECRET: secrets.STUN_SECRET, CONNREQ_STUN_HEALTH_PORT: String(stunHealth) }, stunHealth),
  ]);
  return {
    cwmpUrl: `${haproxy.url}/cwmp/`,
    gateways: gatewayPorts.map((port) => `http://127.0.0.1:${port}/cwmp/`),
    nbiUrl: `http://127.0.0.1:${nbiPort}/api/v1`,
    nbiToken: secrets.ACS_NBI_TOKEN,
    stun: `udp://127.0.0.1:${stunPort}`,
    xmpp: `xmpp://${prosody.host}:${prosody.port} (domain ${prosody.domain}, CA ${prosody.caFile})`,
    onboarding,
    servers: { nats: nats.url, redis: redis.url, mongo: mongo.url },
  };
}

// The servers run in process groups of their own: a signal stops them through the cleanups, never leaves them behind.
let stopping: Promise<void> | undefined;
const stop = (code: number) => {
  stopping ??= stopAll().then(() => {
    if (!args.json) process.stdout.write('Stopped.\n');
    process.exit(code);
  });
  return stopping;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));

try {
  const endpoints = await start();
  if (args.json) process.stdout.write(`${JSON.stringify(endpoints)}\n`);
  else {
    process.stdout.write(
      [
        `CWMP (HAProxy, round robin over 2 gateways): ${endpoints.cwmpUrl}`,
        `NBI:  ${endpoints.nbiUrl}  (token ${endpoints.nbiToken})`,
        `STUN: ${endpoints.stun}    XMPP: ${endpoints.xmpp}`,
        `Onboarding: username ${endpoints.onboarding.username}, password ${endpoints.onboarding.password}`,
        `  npx acs-sim --acs-url ${endpoints.cwmpUrl} --devices 10 --username ${endpoints.onboarding.username} --password ${endpoints.onboarding.password}`,
        seconds === undefined ? 'Ready. Ctrl-C stops everything.' : `Ready. Stopping in ${seconds} s.`,
        '',
      ].join('\n'),
    );
  }
  if (seconds !== undefined) setTimeout(() => void stop(0), seconds * 1_000);
} catch (err) {
  process.stderr.write(`stack failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stop(1);
}
