import { boolVar, defineConfig, intVar, stringVar, type ConfigOf, type EnvShape } from '@acs/config';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connreqHttpConfig, workerSettings } from '@acs/connreq-http';
import { connreqStunConfig, serviceSettings as stunServiceSettings } from '@acs/connreq-stun';
import { connreqXmppConfig, serviceSettings as xmppServiceSettings, type ConnreqXmppConfig } from '@acs/connreq-xmpp';
import { checkGatewayConfig, gatewayConfig, gatewaySettings, gatewayTls } from '@acs/cwmp-gateway';
import { checkRegistryConfig, policyFromConfig, registryConfig } from '@acs/device-registry';
import { z } from 'zod';
import { DEFAULT_CWMP_PORT, DEFAULT_HOST, DEFAULT_NBI_PORT, DEFAULT_STUN_PORT, inProcessTransports, type AllInOneOptions, type ConnreqHttpSettings } from './all-in-one.js';

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
  ...without(connreqHttpConfig.schema.shape, ['NODE_ENV', 'NATS_URL', 'CONNREQ_HTTP_HEALTH_PORT', 'CONNREQ_HTTP_HEALTH_HOST', 'CONNREQ_HTTP_METRICS_PORT', 'CONNREQ_HTTP_METRICS_HOST']),
  ...without(connreqXmppConfig.schema.shape, ['NODE_ENV', 'NATS_URL', 'CONNREQ_XMPP_HEALTH_PORT', 'CONNREQ_XMPP_HEALTH_HOST', 'CONNREQ_XMPP_METRICS_PORT', 'CONNREQ_XMPP_METRICS_HOST']),
  /** An XMPP server for Annex K connection requests; unset: no XMPP worker, and the router never plans XMPP. */
  CONNREQ_XMPP_SERVICE: connreqXmppConfig.schema.shape.CONNREQ_XMPP_SERVICE.optional(),
  CONNREQ_XMPP_PASSWORD: connreqXmppConfig.schema.shape.CONNREQ_XMPP_PASSWORD.optional(),
  ...without(connreqStunConfig.schema.shape, ['NODE_ENV', 'NATS_URL', 'REDIS_URL', 'CONNREQ_STUN_HEALTH_PORT', 'CONNREQ_STUN_HEALTH_HOST', 'CONNREQ_STUN_METRICS_PORT', 'CONNREQ_STUN_METRICS_HOST']),
  /** The TR-111 STUN server and the UDP connection-request worker; `false`: neither runs (nothing on STUN_PORT). */
  STUN_ENABLED: boolVar().default(true),
  STUN_PORT: listenPort().default(DEFAULT_STUN_PORT),
  /** Unset: generated on the first start and kept in the data dir. */
  STUN_SECRET: connreqStunConfig.schema.shape.STUN_SECRET.optional(),
  /** Unset: every transport whose worker runs in this process (http, udp unless STUN_ENABLED=false, xmpp with CONNREQ_XMPP_SERVICE). */
  REGISTRY_CONNREQ_TRANSPORTS: registryConfig.schema.shape.REGISTRY_CONNREQ_TRANSPORTS.unwrap().optional(),
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
  if (config.CONNREQ_XMPP_SERVICE !== undefined && config.CONNREQ_XMPP_PASSWORD === undefined) {
    ctx.addIssue({ code: 'custom', path: ['CONNREQ_XMPP_PASSWORD'], message: 'the ACS\'s XMPP account needs its password with CONNREQ_XMPP_SERVICE' });
  }
  const running = inProcessTransports({ xmpp: config.CONNREQ_XMPP_SERVICE !== undefined, stun: config.STUN_ENABLED });
  const missing = (config.REGISTRY_CONNREQ_TRANSPORTS ?? []).filter((t) => !running.includes(t));
  if (missing.length > 0) {
    // A command for a transport nobody consumes would wait in the stream and its poke never end.
    ctx.addIssue({ code: 'custom', path: ['REGISTRY_CONNREQ_TRANSPORTS'], message: `no ${missing.join(', ')} worker runs in the all-in-one (it runs ${running.join(', ')})` });
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
    ...(config.REGISTRY_CONNREQ_TRANSPORTS === undefined ? {} : { transports: config.REGISTRY_CONNREQ_TRANSPORTS }),
    ...(config.CONNREQ_XMPP_SERVICE === undefined ? {} : { xmpp: xmppSettings({ ...config, CONNREQ_XMPP_SERVICE: config.CONNREQ_XMPP_SERVICE }) }),
    ...(config.STUN_ENABLED ? { stun: stunSettings(config) } : {}),
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

/** The in-process STUN server's settings, through connreq-stun's own mapping; the secret comes from the data dir unless set. */
function stunSettings(config: AppConfig): NonNullable<AllInOneOptions['stun']> {
  const { secret, ...settings } = stunServiceSettings(
    { ...config, STUN_SECRET: config.STUN_SECRET ?? '', NODE_ENV: 'production', CONNREQ_STUN_HEALTH_HOST: DEFAULT_HOST, CONNREQ_STUN_METRICS_HOST: DEFAULT_HOST },
    { hostname: hostname() },
  );
  return { ...settings, ...(config.STUN_SECRET === undefined ? {} : { secret }) };
}

/** The in-process XMPP worker's settings, through connreq-xmpp's own mapping (its password checked present above). */
function xmppSettings(config: AppConfig & { CONNREQ_XMPP_SERVICE: string }): NonNullable<AllInOneOptions['xmpp']> {
  const ca = config.CONNREQ_XMPP_CA_FILE === undefined ? undefined : readFileSync(config.CONNREQ_XMPP_CA_FILE);
  // The variables left out above mean nothing in one process; serviceSettings does not read them.
  const xmpp: ConnreqXmppConfig = {
    ...config,
    CONNREQ_XMPP_PASSWORD: config.CONNREQ_XMPP_PASSWORD ?? '',
    NODE_ENV: 'production',
    NATS_URL: [],
    CONNREQ_XMPP_HEALTH_HOST: DEFAULT_HOST,
    CONNREQ_XMPP_METRICS_HOST: DEFAULT_HOST,
  };
  return xmppServiceSettings(xmpp, { hostname: hostname(), ...(ca === undefined ? {} : { ca }) });
}
