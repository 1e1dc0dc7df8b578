import { isIP } from 'node:net';
import { defineConfig, durationVar, enumVar, intVar, listVar, portVar, stringVar, urlVar, type ConfigOf } from '@acs/config';
import { DEFAULT_SUBJECT_PREFIX } from '@acs/contracts';
import type { ConnreqHttpServiceSettings } from './service.js';

const shape = {
  NODE_ENV: enumVar(['development', 'test', 'production']).default('development'),
  NATS_URL: listVar(urlVar({ protocols: ['nats', 'tls'] })).default(['nats://127.0.0.1:4222']),
  ACS_SUBJECT_PREFIX: stringVar().default(DEFAULT_SUBJECT_PREFIX),
  /** Connection requests in flight at once per replica. */
  CONNREQ_HTTP_CONCURRENCY: intVar({ min: 1, max: 10_000 }).default(64),
  /**
   * Least time between two connection requests to one device. A CPE that accepted one starts its session within
   * seconds and answers 503 to more in the meantime (several CRs before the session yield one session anyway).
   */
  CONNREQ_HTTP_MIN_INTERVAL_MS: durationVar({ min: 0 }).default(5_000),
  /** TCP connect timeout (GenieACS: 2 s); a CPE that does not answer the SYN by then is not there. */
  CONNREQ_HTTP_CONNECT_TIMEOUT_MS: durationVar({ min: 100 }).default(2_000),
  /** Longest single GET (connect, answer); the command's deadline cuts it shorter. */
  CONNREQ_HTTP_TIMEOUT_MS: durationVar({ min: 100 }).default(5_000),
  /** Back-off of retried network failures: this, doubling, up to CONNREQ_HTTP_RETRY_MAX_MS, jittered. */
  CONNREQ_HTTP_RETRY_BASE_MS: durationVar({ min: 10 }).default(500),
  CONNREQ_HTTP_RETRY_MAX_MS: durationVar({ min: 10 }).default(5_000),
  /** JetStream ackWait of the durable consumer: a command held longer than this goes to another replica. */
  CONNREQ_HTTP_ACK_WAIT_MS: durationVar({ min: 5_000 }).default(60_000),
  CONNREQ_HTTP_MAX_DELIVER: intVar({ min: 1, max: 100 }).default(5),
  /** Default source address to bind (VPN side) for commands whose egress names none. */
  CONNREQ_HTTP_LOCAL_ADDRESS: stringVar()
    .refine((v) => isIP(v) !== 0, { message: 'expected an IPv4 or IPv6 address' })
    .optional(),
  /** Default HTTP proxy for commands whose egress names none. */
  CONNREQ_HTTP_PROXY_URL: urlVar({ protocols: ['http', 'https'] }).optional(),
  /** Serve `/healthz` and `/readyz` on this port; none: not served. */
  CONNREQ_HTTP_HEALTH_PORT: portVar().optional(),
  CONNREQ_HTTP_HEALTH_HOST: stringVar().default('127.0.0.1'),
  /** Serve Prometheus metrics (`/metrics`) on this port; none: not served. */
  CONNREQ_HTTP_METRICS_PORT: portVar().optional(),
  /** Interface of the metrics server (`0.0.0.0` in a pod scraped from outside). */
  CONNREQ_HTTP_METRICS_HOST: stringVar().default('127.0.0.1'),
  LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP/HTTP collector for traces; none: traces are not exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVar({ protocols: ['http', 'https'] }).optional(),
};

/**
 * The worker's environment variables; `connreqHttpConfig.load(env)` is called by `main.ts` only. The all-in-one app
 * builds its schema from `connreqHttpConfig.schema.shape`.
 */
export const connreqHttpConfig = defineConfig(shape);

export type ConnreqHttpConfig = ConfigOf<typeof shape>;

/** The variables workerSettings reads (the all-in-one's configuration has them too). */
export type WorkerSettingsConfig = Omit<ConnreqHttpConfig, 'NODE_ENV' | 'NATS_URL' | 'ACS_SUBJECT_PREFIX' | 'CONNREQ_HTTP_HEALTH_PORT' | 'CONNREQ_HTTP_HEALTH_HOST' | 'CONNREQ_HTTP_METRICS_PORT' | 'CONNREQ_HTTP_METRICS_HOST' | 'LOG_LEVEL' | 'OTEL_EXPORTER_OTLP_ENDPOINT'>;

/** The worker's tuning slice of the configuration. */
export function workerSettings(config: WorkerSettingsConfig): ConnreqHttpServiceSettings {
  const defaultEgress = {
    ...(config.CONNREQ_HTTP_LOCAL_ADDRESS === undefined ? {} : { localAddress: config.CONNREQ_HTTP_LOCAL_ADDRESS }),
    ...(config.CONNREQ_HTTP_PROXY_URL === undefined ? {} : { proxyUrl: config.CONNREQ_HTTP_PROXY_URL }),
  };
  return {
    concurrency: config.CONNREQ_HTTP_CONCURRENCY,
    minIntervalPerDeviceMs: config.CONNREQ_HTTP_MIN_INTERVAL_MS,
    retry: { baseMs: config.CONNREQ_HTTP_RETRY_BASE_MS, maxMs: Math.max(config.CONNREQ_HTTP_RETRY_BASE_MS, config.CONNREQ_HTTP_RETRY_MAX_MS) },
    http: {
      connectTimeoutMs: config.CONNREQ_HTTP_CONNECT_TIMEOUT_MS,
      timeoutMs: config.CONNREQ_HTTP_TIMEOUT_MS,
      ...(Object.keys(defaultEgress).length === 0 ? {} : { defaultEgress }),
    },
    ackWaitMs: config.CONNREQ_HTTP_ACK_WAIT_MS,
    maxDeliver: config.CONNREQ_HTTP_MAX_DELIVER,
  };
}
