import { defineConfig, durationVar, enumVar, intVar, listVar, portVar, secretVar, stringVar, urlVar, type ConfigOf } from '@acs/config';
import { CONNREQ_TRANSPORTS, DEFAULT_SUBJECT_PREFIX } from '@acs/contracts';
import { z } from 'zod';
import { DEFAULT_POLICY, type RegistryPolicy } from './deps.js';
import type { RegistryServiceSettings } from './service.js';

const shape = {
  MONGODB_URL: urlVar({ protocols: ['mongodb', 'mongodb+srv'] }).default('mongodb://127.0.0.1:27017/acs'),
  NATS_URL: listVar(urlVar({ protocols: ['nats', 'tls'] })).default(['nats://127.0.0.1:4222']),
  ACS_SUBJECT_PREFIX: stringVar().default(DEFAULT_SUBJECT_PREFIX),
  /** 32 bytes, base64: seals connection-request passwords and generated secrets. */
  ACS_SECRET_KEY: secretVar({ minLength: 44 }),
  /** Must equal the gateway's: stored HA1 values are bound to it. */
  CWMP_AUTH_REALM: stringVar().default('acs'),
  ACS_ONBOARDING_USERNAME: stringVar().optional(),
  ACS_ONBOARDING_PASSWORD: secretVar().optional(),
  NBI_PORT: portVar().default(7557),
  NBI_HOST: stringVar().default('127.0.0.1'),
  ACS_NBI_TOKEN: secretVar({ minLength: 16 }).optional(),
  /** Where NBI tokens created at run time are kept (one replica writes it); unset: in memory. */
  NBI_TOKEN_DIR: stringVar().optional(),
  LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OTLP/HTTP collector for traces; unset: traces are not exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVar({ protocols: ['http', 'https'] }).optional(),
  /** Prometheus `/metrics` on this port (on NBI_HOST); unset: no metrics endpoint. */
  REGISTRY_METRICS_PORT: portVar().optional(),
  REGISTRY_TASK_MAX_ATTEMPTS: intVar({ min: 1, max: 100 }).default(DEFAULT_POLICY.maxAttempts),
  REGISTRY_TASK_TTL_MS: durationVar({ min: 0 }).default(DEFAULT_POLICY.taskTtlMs),
  REGISTRY_REFRESH_BATCH: intVar({ min: 1, max: 1000 }).default(DEFAULT_POLICY.refreshBatch),
  REGISTRY_TRANSFER_TIMEOUT_MS: durationVar({ min: 1000 }).default(DEFAULT_POLICY.transferTimeoutMs),
  /**
   * Connection-request transports whose workers run in this deployment; the poke router plans no other (a command
   * nobody consumes would wait in the stream and its poke never end).
   */
  REGISTRY_CONNREQ_TRANSPORTS: listVar(enumVar(CONNREQ_TRANSPORTS))
    .refine((list) => list.length > 0, { message: 'name at least one transport' })
    .refine((list) => new Set(list).size === list.length, { message: 'a transport is named twice' })
    .default(['http']),
};

/**
 * The checks across variables, for a schema composed from `registryConfig.schema.shape` to apply too (zod refuses
 * to pick from a refined object, so a composed schema starts from the shape and loses them).
 */
export function checkRegistryConfig(c: { ACS_ONBOARDING_USERNAME?: string; ACS_ONBOARDING_PASSWORD?: string }, ctx: z.RefinementCtx): void {
  if ((c.ACS_ONBOARDING_USERNAME === undefined) !== (c.ACS_ONBOARDING_PASSWORD === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['ACS_ONBOARDING_PASSWORD'], message: 'set both ACS_ONBOARDING_USERNAME and ACS_ONBOARDING_PASSWORD, or neither' });
  }
}

const schema = z.object(shape).superRefine(checkRegistryConfig);

/**
 * Every variable the device-registry reads (README lists them); `registryConfig.load(env)` is called by main.ts only.
 * The all-in-one app builds its schema from `registryConfig.schema.shape` (with checkRegistryConfig).
 */
export const registryConfig = defineConfig(schema as unknown as z.ZodObject<typeof shape>);

export type RegistryConfig = ConfigOf<typeof shape>;

/** The variables policyFromConfig reads (the all-in-one's configuration has them too). */
export type RegistryPolicyConfig = Pick<RegistryConfig, 'REGISTRY_TASK_MAX_ATTEMPTS' | 'REGISTRY_TASK_TTL_MS' | 'REGISTRY_REFRESH_BATCH' | 'REGISTRY_TRANSFER_TIMEOUT_MS'>;

export function policyFromConfig(config: RegistryPolicyConfig): RegistryPolicy {
  return {
    maxAttempts: config.REGISTRY_TASK_MAX_ATTEMPTS,
    taskTtlMs: config.REGISTRY_TASK_TTL_MS,
    refreshBatch: config.REGISTRY_REFRESH_BATCH,
    transferTimeoutMs: config.REGISTRY_TRANSFER_TIMEOUT_MS,
  };
}

/** The variables registryServiceSettings reads (a port may be 0 in the all-in-one's). */
export type RegistryServiceConfig = RegistryPolicyConfig &
  Pick<RegistryConfig, 'CWMP_AUTH_REALM' | 'ACS_ONBOARDING_USERNAME' | 'ACS_ONBOARDING_PASSWORD' | 'ACS_NBI_TOKEN' | 'NBI_HOST' | 'NBI_PORT' | 'REGISTRY_CONNREQ_TRANSPORTS'>;

/** createRegistryService's settings: realm, task policy, onboarding type, admin token, NBI listener, transports. */
export function registryServiceSettings(config: RegistryServiceConfig): RegistryServiceSettings {
  return {
    realm: config.CWMP_AUTH_REALM,
    policy: policyFromConfig(config),
    nbi: { host: config.NBI_HOST, port: config.NBI_PORT },
    transports: config.REGISTRY_CONNREQ_TRANSPORTS,
    ...(config.ACS_ONBOARDING_USERNAME !== undefined && config.ACS_ONBOARDING_PASSWORD !== undefined
      ? { onboarding: { username: config.ACS_ONBOARDING_USERNAME, password: config.ACS_ONBOARDING_PASSWORD } }
      : {}),
    ...(config.ACS_NBI_TOKEN === undefined ? {} : { adminToken: config.ACS_NBI_TOKEN }),
  };
}
