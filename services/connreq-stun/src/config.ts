import { defineConfig, durationVar, enumVar, intVar, listVar, portVar, secretVar, stringVar, urlVar, type ConfigOf } from '@acs/config';
import { DEFAULT_SUBJECT_PREFIX } from '@acs/contracts';
import type { ConnreqStunSettings } from './service.js';

const shape = {
  NODE_ENV: enumVar(['development', 'test', 'production']).default('development'),
  NATS_URL: listVar(urlVar({ protocols: ['nats', 'tls'] })).default(['nats://127.0.0.1:4222']),
  ACS_SUBJECT_PREFIX: stringVar().default(DEFAULT_SUBJECT_PREFIX),
  /** Bindings are shared by the replicas here. */
  REDIS_URL: urlVar({ protocols: ['redis', 'rediss'] }).default('redis://127.0.0.1:6379'),
  /** The STUN socket (Binding Requests in, UDP connection requests out). In a pod: `0.0.0.0`. */
  STUN_HOST: stringVar().default('127.0.0.1'),
  STUN_PORT: portVar().default(3478),
  /** Derives every device's STUNPassword; the same on every replica (a Kubernetes Secret). */
  STUN_SECRET: secretVar(),
  /** What CPEs are told (ManagementServer.STUNServerAddress/Port): the public address of UDP 3478. */
  STUN_PUBLIC_ADDRESS: stringVar().optional(),
  STUN_PUBLIC_PORT: portVar().optional(),
  /** This replica's name in binding records (other replicas relay through it); default the host name. */
  STUN_REPLICA: stringVar().optional(),
  /** How long a device's STUN terms from the registry are trusted, and how long an unknown username is. */
  STUN_LOOKUP_TTL_MS: durationVar({ min: 0 }).default(300_000),
  STUN_LOOKUP_NEGATIVE_TTL_MS: durationVar({ min: 0 }).default(30_000),
  /** Devices whose last binding write is remembered in process (suppresses repeated kv writes). */
  STUN_CACHE_ENTRIES: intVar({ min: 1_000, max: 50_000_000 }).default(2_000_000),
  /** Copies of each UDP connection request (UDP is lossy) and the gap between them. */
  CONNREQ_UDP_COPIES: intVar({ min: 1, max: 10 }).default(3),
  CONNREQ_UDP_COPY_INTERVAL_MS: durationVar({ min: 0 }).default(100),
  /** Longest wait for the CPE's session; then `timeout` (and the fallback transport, if any). */
  CONNREQ_UDP_SESSION_WAIT_MS: durationVar({ min: 100 }).default(10_000),
  /** An Inform-reported address older than this, with no live binding, is not tried. */
  CONNREQ_UDP_ADDRESS_MAX_AGE_MS: durationVar({ min: 0 }).default(600_000),
  /** Connection requests in flight at once: most of them only wait for a session, so many. */
  CONNREQ_UDP_CONCURRENCY: intVar({ min: 1, max: 100_000 }).default(2_000),
  CONNREQ_UDP_MIN_INTERVAL_MS: durationVar({ min: 0 }).default(5_000),
  CONNREQ_UDP_RETRY_BASE_MS: durationVar({ min: 10 }).default(500),
  CONNREQ_UDP_RETRY_MAX_MS: durationVar({ min: 10 }).default(5_000),
  CONNREQ_UDP_ACK_WAIT_MS: durationVar({ min: 5_000 }).default(60_000),
  CONNREQ_UDP_MAX_DELIVER: intVar({ min: 1, max: 100 }).default(5),
  /** Serve `/healthz` and `/readyz` on this port; none: not served. */
  CONNREQ_STUN_HEALTH_PORT: portVar().optional(),
  CONNREQ_STUN_HEALTH_HOST: stringVar().default('127.0.0.1'),
  /** Serve Prometheus metrics (`/metrics`) on this port; none: not served. */
  CONNREQ_STUN_METRICS_PORT: portVar().optional(),
  CONNREQ_STUN_METRICS_HOST: stringVar().default('127.0.0.1'),
  LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP/HTTP collector for traces; none: traces are not exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVar({ protocols: ['http', 'https'] }).optional(),
};

/** The service's environment variables; `connreqStunConfig.load(env)` is called by `main.ts` only. */
export const connreqStunConfig = defineConfig(shape);

export type ConnreqStunConfig = ConfigOf<typeof shape>;

/** The service unit's settings from the configuration. */
export function serviceSettings(config: Omit<ConnreqStunConfig, 'NATS_URL' | 'REDIS_URL'>, host: { hostname: string }): ConnreqStunSettings {
  const retryBase = config.CONNREQ_UDP_RETRY_BASE_MS;
  return {
    listen: { host: config.STUN_HOST, port: config.STUN_PORT },
    secret: config.STUN_SECRET,
    publicServer: { address: config.STUN_PUBLIC_ADDRESS ?? config.STUN_HOST, port: config.STUN_PUBLIC_PORT ?? config.STUN_PORT },
    replica: config.STUN_REPLICA ?? host.hostname,
    lookup: { ttlMs: config.STUN_LOOKUP_TTL_MS, negativeTtlMs: config.STUN_LOOKUP_NEGATIVE_TTL_MS },
    cacheEntries: config.STUN_CACHE_ENTRIES,
    udp: {
      copies: config.CONNREQ_UDP_COPIES,
      intervalMs: config.CONNREQ_UDP_COPY_INTERVAL_MS,
      sessionWaitMs: config.CONNREQ_UDP_SESSION_WAIT_MS,
      addressMaxAgeMs: config.CONNREQ_UDP_ADDRESS_MAX_AGE_MS,
    },
    worker: {
      concurrency: config.CONNREQ_UDP_CONCURRENCY,
      minIntervalPerDeviceMs: config.CONNREQ_UDP_MIN_INTERVAL_MS,
      retry: { baseMs: retryBase, maxMs: Math.max(retryBase, config.CONNREQ_UDP_RETRY_MAX_MS) },
      ackWaitMs: config.CONNREQ_UDP_ACK_WAIT_MS,
      maxDeliver: config.CONNREQ_UDP_MAX_DELIVER,
    },
  };
}
