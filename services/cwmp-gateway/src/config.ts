import { boolVar, defineConfig, durationVar, enumVar, intVar, listVar, portVar, secretVar, stringVar, urlVar, type ConfigOf } from '@acs/config';
import { DEFAULT_SUBJECT_PREFIX } from '@acs/contracts';
import { DEFAULT_MAX_BYTES } from '@acs/cwmp';
import { z } from 'zod';
import type { GatewaySettings } from './gateway.js';
import type { GatewayServiceSettings } from './service.js';

const shape = {
  NODE_ENV: enumVar(['development', 'test', 'production']).default('development'),
  CWMP_PORT: portVar().default(7547),
  // Production sets the interface it must listen on (0.0.0.0 in a pod); nothing ever defaults to all interfaces.
  CWMP_HOST: stringVar().default('127.0.0.1'),
  /** Served at this path and at `/`. */
  CWMP_PATH: stringVar()
    .refine((p) => /^\/[A-Za-z0-9._~/-]*$/.test(p), { message: 'expected a path such as /cwmp/ (letters, digits, . _ ~ - /)' })
    .default('/cwmp/'),
  CWMP_AUTH_REALM: stringVar().default('acs'),
  /** HMAC key of the stateless Digest nonces; every replica must share it. */
  CWMP_NONCE_SECRET: secretVar({ minLength: 16 }).optional(),
  /** How long a nonce stays valid; past that it is answered with `stale=true`. */
  CWMP_NONCE_TTL_MS: durationVar({ min: 1_000 }).default(300_000),
  /** Basic auth over plain HTTP (labs only): passwords then travel in clear. */
  CWMP_ALLOW_BASIC: boolVar().default(false),
  CWMP_TLS_CERT_FILE: stringVar().optional(),
  CWMP_TLS_KEY_FILE: stringVar().optional(),
  /** Addresses/CIDRs (or express names such as `loopback`) whose X-Forwarded-* headers are believed. */
  CWMP_TRUSTED_PROXIES: listVar().default([]),
  /** Track cookie-less CPEs by their TCP connection; turn off behind a proxy not listed in CWMP_TRUSTED_PROXIES. */
  CWMP_CONNECTION_FALLBACK: boolVar().default(true),
  CWMP_MAX_BODY_BYTES: intVar({ min: 1_024 }).default(DEFAULT_MAX_BYTES),
  CWMP_SESSION_TIMEOUT_MS: durationVar({ min: 1_000 }).default(30_000),
  CWMP_MAX_SESSION_MS: durationVar({ min: 1_000 }).default(600_000),
  CWMP_MAX_RPCS_PER_SESSION: intVar({ min: 1 }).default(256),
  CWMP_REGISTRY_TIMEOUT_MS: durationVar({ min: 100 }).default(5_000),
  /** Failed logins allowed per source IP and per username in one window, before 503 + Retry-After. */
  CWMP_AUTH_FAIL_LIMIT: intVar({ min: 1 }).default(10),
  CWMP_AUTH_FAIL_WINDOW_MS: durationVar({ min: 1_000 }).default(300_000),
  /** Retry-After (seconds) on 503 answers (overload, registry or store down, device already in session). */
  CWMP_RETRY_AFTER_S: intVar({ min: 1, max: 86_400 }).default(60),
  NATS_URL: listVar(urlVar({ protocols: ['nats', 'tls'] })).default(['nats://127.0.0.1:4222']),
  REDIS_URL: urlVar({ protocols: ['redis', 'rediss'] }).default('redis://127.0.0.1:6379'),
  ACS_SUBJECT_PREFIX: stringVar().default(DEFAULT_SUBJECT_PREFIX),
  LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP/HTTP collector for traces; none: traces are not exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVar({ protocols: ['http', 'https'] }).optional(),
};

/**
 * The checks across variables, for a schema composed from `gatewayConfig.schema.shape` to apply too (zod refuses to
 * pick from a refined object, so a composed schema starts from the shape and loses them).
 */
export function checkGatewayConfig(
  c: { NODE_ENV?: string; CWMP_NONCE_SECRET?: string; CWMP_TLS_CERT_FILE?: string; CWMP_TLS_KEY_FILE?: string },
  ctx: z.RefinementCtx,
): void {
  if (c.NODE_ENV === 'production' && c.CWMP_NONCE_SECRET === undefined) {
    // Replicas that each invent a secret reject each other's nonces: the challenge and the retry may land apart.
    ctx.addIssue({ code: 'custom', path: ['CWMP_NONCE_SECRET'], message: 'required in production (shared by every replica)' });
  }
  if ((c.CWMP_TLS_CERT_FILE === undefined) !== (c.CWMP_TLS_KEY_FILE === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['CWMP_TLS_KEY_FILE'], message: 'set both CWMP_TLS_CERT_FILE and CWMP_TLS_KEY_FILE, or neither' });
  }
}

const schema = z.object(shape).superRefine(checkGatewayConfig);

/**
 * The gateway's environment variables; `gatewayConfig.load(env)` is called by `main.ts` only. The all-in-one app
 * builds its schema from `gatewayConfig.schema.shape` (with checkGatewayConfig).
 */
export const gatewayConfig = defineConfig(schema as unknown as z.ZodObject<typeof shape>);

export type GatewayConfig = ConfigOf<typeof shape>;

/** The variables gatewaySettings reads (the all-in-one's configuration has them too). */
export type GatewaySettingsConfig = Pick<
  GatewayConfig,
  | 'CWMP_PATH'
  | 'CWMP_AUTH_REALM'
  | 'CWMP_NONCE_TTL_MS'
  | 'CWMP_ALLOW_BASIC'
  | 'CWMP_TRUSTED_PROXIES'
  | 'CWMP_CONNECTION_FALLBACK'
  | 'CWMP_MAX_BODY_BYTES'
  | 'CWMP_SESSION_TIMEOUT_MS'
  | 'CWMP_MAX_SESSION_MS'
  | 'CWMP_MAX_RPCS_PER_SESSION'
  | 'CWMP_AUTH_FAIL_LIMIT'
  | 'CWMP_AUTH_FAIL_WINDOW_MS'
  | 'CWMP_RETRY_AFTER_S'
>;

/**
 * The gateway's settings slice of the configuration but the nonce secret, which each caller resolves its own way
 * (the service: the variable or a random one; the all-in-one: the variable or the one kept in its data dir).
 */
export function gatewaySettings(config: GatewaySettingsConfig): Omit<GatewaySettings, 'nonceSecret'> {
  return {
    path: config.CWMP_PATH,
    realm: config.CWMP_AUTH_REALM,
    nonceTtlMs: config.CWMP_NONCE_TTL_MS,
    allowBasic: config.CWMP_ALLOW_BASIC,
    trustedProxies: config.CWMP_TRUSTED_PROXIES,
    connectionFallback: config.CWMP_CONNECTION_FALLBACK,
    maxBodyBytes: config.CWMP_MAX_BODY_BYTES,
    sessionTimeoutMs: config.CWMP_SESSION_TIMEOUT_MS,
    maxSessionMs: config.CWMP_MAX_SESSION_MS,
    maxRpcsPerSession: config.CWMP_MAX_RPCS_PER_SESSION,
    authFailLimit: config.CWMP_AUTH_FAIL_LIMIT,
    authFailWindowMs: config.CWMP_AUTH_FAIL_WINDOW_MS,
    retryAfterS: config.CWMP_RETRY_AFTER_S,
  };
}

/** The variables gatewayServiceSettings reads beyond gatewaySettings's (a port may be 0 in the all-in-one's). */
export type GatewayServiceConfig = GatewaySettingsConfig & Pick<GatewayConfig, 'CWMP_HOST' | 'CWMP_PORT' | 'CWMP_TLS_CERT_FILE' | 'CWMP_TLS_KEY_FILE'>;

/** createGatewayService's settings: the gateway's, where it listens, its TLS files. */
export function gatewayServiceSettings(config: GatewayServiceConfig, nonceSecret: string): GatewayServiceSettings {
  return {
    gateway: { ...gatewaySettings(config), nonceSecret },
    listen: { host: config.CWMP_HOST, port: config.CWMP_PORT },
    ...gatewayTls(config),
  };
}

/** `{ tls }` when both PEM files are configured, else nothing (plain HTTP). */
export function gatewayTls(config: Pick<GatewayConfig, 'CWMP_TLS_CERT_FILE' | 'CWMP_TLS_KEY_FILE'>): Pick<GatewayServiceSettings, 'tls'> {
  return config.CWMP_TLS_CERT_FILE !== undefined && config.CWMP_TLS_KEY_FILE !== undefined
    ? { tls: { certFile: config.CWMP_TLS_CERT_FILE, keyFile: config.CWMP_TLS_KEY_FILE } }
    : {};
}
