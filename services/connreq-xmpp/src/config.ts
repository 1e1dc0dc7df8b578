import { randomBytes } from 'node:crypto';
import { boolVar, defineConfig, durationVar, enumVar, intVar, listVar, portVar, secretVar, stringVar, urlVar, type ConfigOf } from '@acs/config';
import { DEFAULT_SUBJECT_PREFIX } from '@acs/contracts';
import type { ConnreqXmppSettings } from './service.js';
import { parseXmppService } from './xmpp-client.js';

const shape = {
  NODE_ENV: enumVar(['development', 'test', 'production']).default('development'),
  NATS_URL: listVar(urlVar({ protocols: ['nats', 'tls'] })).default(['nats://127.0.0.1:4222']),
  ACS_SUBJECT_PREFIX: stringVar().default(DEFAULT_SUBJECT_PREFIX),
  /** The XMPP server: `xmpp://host[:5222]` (STARTTLS, required) or `xmpps://host[:5223]` (TLS from the first byte). */
  CONNREQ_XMPP_SERVICE: urlVar({ protocols: ['xmpp', 'xmpps'] }),
  /** The XMPP domain (JIDs' part after `@`, what the certificate must name); default the service's host. */
  CONNREQ_XMPP_DOMAIN: stringVar().optional(),
  /** The ACS's account (localpart); an admin of the domain, so that it can manage CPE accounts (XEP-0133). */
  CONNREQ_XMPP_USERNAME: stringVar().default('acs'),
  CONNREQ_XMPP_PASSWORD: secretVar(),
  /** Each replica binds `<prefix>-<hostname>-<random>`: replicas never take each other's resource. */
  CONNREQ_XMPP_RESOURCE: stringVar().default('acs'),
  /** PEM file of the CA the server's certificate must chain to; none: the system's roots. */
  CONNREQ_XMPP_CA_FILE: stringVar().optional(),
  /** Longest wait for a CPE's answer to a connection request (GenieACS: 2 s); the deadline cuts it shorter. */
  CONNREQ_XMPP_TIMEOUT_MS: durationVar({ min: 100 }).default(5_000),
  CONNREQ_XMPP_CONCURRENCY: intVar({ min: 1, max: 10_000 }).default(64),
  /** Least time between two connection requests to one device (a CPE that accepted one is opening its session). */
  CONNREQ_XMPP_MIN_INTERVAL_MS: durationVar({ min: 0 }).default(5_000),
  /** Back-off of retried commands (the session being down): this, doubling, up to RETRY_MAX, jittered. */
  CONNREQ_XMPP_RETRY_BASE_MS: durationVar({ min: 10 }).default(500),
  CONNREQ_XMPP_RETRY_MAX_MS: durationVar({ min: 10 }).default(5_000),
  CONNREQ_XMPP_ACK_WAIT_MS: durationVar({ min: 5_000 }).default(60_000),
  CONNREQ_XMPP_MAX_DELIVER: intVar({ min: 1, max: 100 }).default(5),
  /** Back-off between reconnect attempts of the XMPP session: this, doubling, up to RECONNECT_MAX, jittered. */
  CONNREQ_XMPP_RECONNECT_BASE_MS: durationVar({ min: 10 }).default(500),
  CONNREQ_XMPP_RECONNECT_MAX_MS: durationVar({ min: 10 }).default(30_000),
  /** After the session came back from an outage, offline CPEs are retried this long (they are reconnecting too). */
  CONNREQ_XMPP_RECONNECT_GRACE_MS: durationVar({ min: 0 }).default(30_000),
  /** Ping the server this often; no answer within the same time drops and reconnects the session. 0: never. */
  CONNREQ_XMPP_KEEPALIVE_MS: durationVar({ min: 0 }).default(30_000),
  /** What CPEs are told to connect to (XMPP.Connection.Server.{i}); default the ACS's own host and port. */
  CONNREQ_XMPP_CPE_SERVER_ADDRESS: stringVar().optional(),
  CONNREQ_XMPP_CPE_SERVER_PORT: portVar().optional(),
  /** XMPP.Connection.UseTLS told to CPEs. */
  CONNREQ_XMPP_CPE_USE_TLS: boolVar().default(true),
  /** Serve `/healthz` and `/readyz` on this port; none: not served. */
  CONNREQ_XMPP_HEALTH_PORT: portVar().optional(),
  CONNREQ_XMPP_HEALTH_HOST: stringVar().default('127.0.0.1'),
  /** Serve Prometheus metrics (`/metrics`) on this port; none: not served. */
  CONNREQ_XMPP_METRICS_PORT: portVar().optional(),
  CONNREQ_XMPP_METRICS_HOST: stringVar().default('127.0.0.1'),
  LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP/HTTP collector for traces; none: traces are not exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVar({ protocols: ['http', 'https'] }).optional(),
};

/** The service's environment variables; `connreqXmppConfig.load(env)` is called by `main.ts` only. */
export const connreqXmppConfig = defineConfig(shape);

export type ConnreqXmppConfig = ConfigOf<typeof shape>;

/** A resource no other replica binds: `<prefix>-<hostname>-<6 random hex>`. */
export function replicaResource(prefix: string, hostname: string): string {
  return `${prefix}-${hostname}-${randomBytes(3).toString('hex')}`;
}

/** The service unit's settings from the configuration; `ca` is the content of CONNREQ_XMPP_CA_FILE. */
export function serviceSettings(config: ConnreqXmppConfig, host: { hostname: string; ca?: Buffer | string }): ConnreqXmppSettings {
  const endpoint = parseXmppService(config.CONNREQ_XMPP_SERVICE);
  const retryBase = config.CONNREQ_XMPP_RETRY_BASE_MS;
  const reconnectBase = config.CONNREQ_XMPP_RECONNECT_BASE_MS;
  return {
    xmpp: {
      endpoint,
      domain: config.CONNREQ_XMPP_DOMAIN ?? endpoint.host,
      username: config.CONNREQ_XMPP_USERNAME,
      password: config.CONNREQ_XMPP_PASSWORD,
      resource: replicaResource(config.CONNREQ_XMPP_RESOURCE, host.hostname),
      ...(host.ca === undefined ? {} : { ca: host.ca }),
      reconnect: { baseMs: reconnectBase, maxMs: Math.max(reconnectBase, config.CONNREQ_XMPP_RECONNECT_MAX_MS) },
      keepaliveMs: config.CONNREQ_XMPP_KEEPALIVE_MS,
    },
    timeoutMs: config.CONNREQ_XMPP_TIMEOUT_MS,
    reconnectGraceMs: config.CONNREQ_XMPP_RECONNECT_GRACE_MS,
    worker: {
      concurrency: config.CONNREQ_XMPP_CONCURRENCY,
      minIntervalPerDeviceMs: config.CONNREQ_XMPP_MIN_INTERVAL_MS,
      retry: { baseMs: retryBase, maxMs: Math.max(retryBase, config.CONNREQ_XMPP_RETRY_MAX_MS) },
      ackWaitMs: config.CONNREQ_XMPP_ACK_WAIT_MS,
      maxDeliver: config.CONNREQ_XMPP_MAX_DELIVER,
    },
    cpe: {
      server: { address: config.CONNREQ_XMPP_CPE_SERVER_ADDRESS ?? endpoint.host, port: config.CONNREQ_XMPP_CPE_SERVER_PORT ?? endpoint.port },
      useTLS: config.CONNREQ_XMPP_CPE_USE_TLS,
    },
  };
}
