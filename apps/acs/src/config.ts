import { boolVar, defineConfig, durationVar, enumVar, intVar, secretVar, stringVar, type ConfigOf } from '@acs/config';
import { z } from 'zod';
import type { AllInOneOptions } from './all-in-one.js';

// Ports accept 0 (any free port; the printed URL has the real one), unlike the services' portVar.
const listenPort = () => intVar({ min: 0, max: 65_535 });

const shape = {
  /** SQLite database, generated secrets and NBI tokens. */
  ACS_DATA_DIR: stringVar().default('./data'),
  CWMP_HOST: stringVar().default('127.0.0.1'),
  CWMP_PORT: listenPort().default(7547),
  CWMP_PATH: stringVar()
    .refine((p) => p.startsWith('/'), { message: 'expected a path starting with /' })
    .default('/cwmp/'),
  CWMP_AUTH_REALM: stringVar().default('acs'),
  CWMP_ALLOW_BASIC: boolVar().default(false),
  CWMP_SESSION_TIMEOUT_MS: durationVar({ min: 1_000 }).default(30_000),
  CWMP_NONCE_SECRET: secretVar({ minLength: 16 }).optional(),
  NBI_HOST: stringVar().default('127.0.0.1'),
  NBI_PORT: listenPort().default(7557),
  ACS_SECRET_KEY: secretVar({ minLength: 44 }).optional(),
  ACS_NBI_TOKEN: secretVar({ minLength: 16 }).optional(),
  ACS_ONBOARDING_USERNAME: stringVar().optional(),
  ACS_ONBOARDING_PASSWORD: secretVar().optional(),
  ACS_SUBJECT_PREFIX: stringVar().default('acs'),
  /** Prometheus `/metrics` of the whole process on this port (on NBI_HOST); unset: no metrics endpoint. */
  ACS_METRICS_PORT: listenPort().optional(),
  LOG_LEVEL: enumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

const schema = z.object(shape).superRefine((c, ctx) => {
  if ((c.ACS_ONBOARDING_USERNAME === undefined) !== (c.ACS_ONBOARDING_PASSWORD === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['ACS_ONBOARDING_PASSWORD'], message: 'set both ACS_ONBOARDING_USERNAME and ACS_ONBOARDING_PASSWORD, or neither' });
  }
});

/** The all-in-one app's environment variables (README); `appConfig.load(env)` is called by main.ts only. */
export const appConfig = defineConfig(schema as unknown as z.ZodObject<typeof shape>);

export type AppConfig = ConfigOf<typeof shape>;

/** createAllInOne's options from the configuration (the logger is main's). */
export function allInOneOptions(config: AppConfig): Omit<AllInOneOptions, 'logger'> {
  return {
    dataDir: config.ACS_DATA_DIR,
    cwmp: { host: config.CWMP_HOST, port: config.CWMP_PORT },
    nbi: { host: config.NBI_HOST, port: config.NBI_PORT },
    subjectPrefix: config.ACS_SUBJECT_PREFIX,
    gateway: {
      path: config.CWMP_PATH,
      realm: config.CWMP_AUTH_REALM,
      allowBasic: config.CWMP_ALLOW_BASIC,
      sessionTimeoutMs: config.CWMP_SESSION_TIMEOUT_MS,
    },
    ...(config.ACS_SECRET_KEY === undefined ? {} : { secretKey: config.ACS_SECRET_KEY }),
    ...(config.CWMP_NONCE_SECRET === undefined ? {} : { nonceSecret: config.CWMP_NONCE_SECRET }),
    ...(config.ACS_NBI_TOKEN === undefined ? {} : { nbiToken: config.ACS_NBI_TOKEN }),
    ...(config.ACS_ONBOARDING_USERNAME !== undefined && config.ACS_ONBOARDING_PASSWORD !== undefined
      ? { onboarding: { username: config.ACS_ONBOARDING_USERNAME, password: config.ACS_ONBOARDING_PASSWORD } }
      : {}),
  };
}
