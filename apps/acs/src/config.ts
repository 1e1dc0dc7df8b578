import { defineConfig, intVar, stringVar, type ConfigOf, type EnvShape } from '@acs/config';
import { connreqHttpConfig, workerSettings } from '@acs/connreq-http';
import { checkGatewayConfig, gatewayConfig, gatewaySettings, gatewayTls } from '@acs/cwmp-gateway';
import { checkRegistryConfig, policyFromConfig, registryConfig } from '@acs/device-registry';
import { z } from 'zod';
import { DEFAULT_CWMP_PORT, DEFAULT_NBI_PORT, IN_PROCESS_TRANSPORTS, type AllInOneOptions, type ConnreqHttpSettings } from './all-in-one.js';

/** `shape` without the variables that mean nothing in one process. */
function without<S extends EnvShape, K extends keyof S & string>(shape: S, names: readonly K[]): Omit<S, K> {
  return Object.fromEntries(Object.entries(shape).filter(([name]) => !(names as readonly string[]).includes(name))) as Omit<S, K>;
}

// Ports accept 0 (any free port; the printed URL has the real one), unlike the services' portVar.
const listenPort = () => intVar({ min: 0, max: 65_535 });

// The services' own variables, so each means here what it means there. Left out: the servers one process does not
// use (NATS, Redis, MongoDB), the per-service metrics ports (ACS_METRICS_PORT serves the whole process), NODE_ENV
// (it only guards replicas sharing a nonce secret) and the gateway's registry timeout (the registry is in-process).
const shape = {
  ...without(gatewayConfig.schema.shape, ['NODE_ENV', 'NATS_URL', 'REDIS_URL', 'CWMP_REGISTRY_TIMEOUT_MS']),
  ...without(registryConfig.schema.shape, ['MONGODB_URL', 'NATS_URL', 'REGISTRY_METRICS_PORT']),
  ...without(connreqHttpConfig.schema.shape, ['NODE_ENV', 'NATS_URL', 'CONNREQ_HTTP_METRICS_PORT', 'CONNREQ_HTTP_METRICS_HOST']),
  /** SQLite database, generated secrets and NBI tokens. */
  ACS_DATA_DIR: stringVar().default('./data'),
  CWMP_PORT: listenPort().default(DEFAULT_CWMP_PORT),
  NBI_PORT: listenPort().default(DEFAULT_NBI_PORT),
  /** Unset: generated on the first start and kept in the data dir (as CWMP_NONCE_SECRET is). */
  ACS_SECRET_KEY: registryConfig.schema.shape.ACS_SECRET_KEY.optional(),
  /** Prometheus `/metrics` of the whole process on this port (on NBI_HOST); unset: no metrics endpoint. */
  ACS_METRICS_PORT: listenPort().optional(),
};

const schema = z.object(shape).superRefine((config, ctx) => {
  checkGatewayConfig(config, ctx);
  checkRegistryConfig(config, ctx);
  const missing = config.REGISTRY_CONNREQ_TRANSPORTS.filter((t) => !IN_PROCESS_TRANSPORTS.includes(t));
  if (missing.length > 0) {
    // A command for a transport nobody consumes would wait in the stream and its poke never end.
    ctx.addIssue({ code: 'custom', path: ['REGISTRY_CONNREQ_TRANSPORTS'], message: `no ${missing.join(', ')} worker runs in the all-in-one (it runs ${IN_PROCESS_TRANSPORTS.join(', ')})` });
  }
});

/** The all-in-one app's environment variables (README); `appConfig.load(env)` is called by main.ts only. */
export const appConfig = defineConfig(schema as unknown as z.ZodObject<typeof shape>);

export type AppConfig = ConfigOf<typeof shape>;

/** createAllInOne's options from the configuration (the logger is main's), through the services' own mappings. */
export function allInOneOptions(config: AppConfig): Omit<AllInOneOptions, 'logger'> & { connreqHttp: ConnreqHttpSettings } {
  return {
    dataDir: config.ACS_DATA_DIR,
    cwmp: { host: config.CWMP_HOST, port: config.CWMP_PORT },
    nbi: { host: config.NBI_HOST, port: config.NBI_PORT },
    subjectPrefix: config.ACS_SUBJECT_PREFIX,
    gateway: gatewaySettings(config),
    policy: policyFromConfig(config),
    transports: config.REGISTRY_CONNREQ_TRANSPORTS,
    connreqHttp: workerSettings(config),
    cwmpTls: gatewayTls(config).tls,
    ...(config.NBI_TOKEN_DIR === undefined ? {} : { nbiTokenDir: config.NBI_TOKEN_DIR }),
    ...(config.ACS_SECRET_KEY === undefined ? {} : { secretKey: config.ACS_SECRET_KEY }),
    ...(config.CWMP_NONCE_SECRET === undefined ? {} : { nonceSecret: config.CWMP_NONCE_SECRET }),
    ...(config.ACS_NBI_TOKEN === undefined ? {} : { nbiToken: config.ACS_NBI_TOKEN }),
    ...(config.ACS_ONBOARDING_USERNAME !== undefined && config.ACS_ONBOARDING_PASSWORD !== undefined
      ? { onboarding: { username: config.ACS_ONBOARDING_USERNAME, password: config.ACS_ONBOARDING_PASSWORD } }
      : {}),
  };
}
