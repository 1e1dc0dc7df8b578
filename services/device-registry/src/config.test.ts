import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@acs/config';
import { policyFromConfig, registryConfig, registryServiceSettings } from './config.js';

const key = randomBytes(32).toString('base64');

describe('registry config', () => {
  it('has defaults for everything but the secret-box key', () => {
    const config = registryConfig.load({ ACS_SECRET_KEY: key });
    expect(config).toMatchObject({
      MONGODB_URL: 'mongodb://127.0.0.1:27017/acs',
      NATS_URL: ['nats://127.0.0.1:4222'],
      ACS_SUBJECT_PREFIX: 'acs',
      CWMP_AUTH_REALM: 'acs',
      NBI_PORT: 7557,
      NBI_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    expect(policyFromConfig(config)).toEqual({ maxAttempts: 3, taskTtlMs: 604_800_000, refreshBatch: 100, transferTimeoutMs: 3_600_000 });
  });

  it('reads the task policy with units', () => {
    const config = registryConfig.load({ ACS_SECRET_KEY: key, REGISTRY_TASK_MAX_ATTEMPTS: '5', REGISTRY_TASK_TTL_MS: '2h', REGISTRY_REFRESH_BATCH: '150' });
    expect(policyFromConfig(config)).toMatchObject({ maxAttempts: 5, taskTtlMs: 7_200_000, refreshBatch: 150 });
  });

  it('names every bad variable, and wants both onboarding variables or neither', () => {
    let error: unknown;
    try {
      registryConfig.load({ NBI_PORT: '99999', ACS_ONBOARDING_USERNAME: 'lab', REGISTRY_REFRESH_BATCH: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    for (const name of ['ACS_SECRET_KEY', 'NBI_PORT', 'REGISTRY_REFRESH_BATCH']) expect(text).toContain(name);
  });

  it('reads the deployed connection-request transports: http by default, a list of known ones otherwise', () => {
    expect(registryConfig.load({ ACS_SECRET_KEY: key }).REGISTRY_CONNREQ_TRANSPORTS).toEqual(['http']);
    expect(registryConfig.load({ ACS_SECRET_KEY: key, REGISTRY_CONNREQ_TRANSPORTS: 'xmpp, http' }).REGISTRY_CONNREQ_TRANSPORTS).toEqual(['xmpp', 'http']);
    expect(() => registryConfig.load({ ACS_SECRET_KEY: key, REGISTRY_CONNREQ_TRANSPORTS: 'http,smtp' })).toThrow(/REGISTRY_CONNREQ_TRANSPORTS.*smtp/s);
    expect(() => registryConfig.load({ ACS_SECRET_KEY: key, REGISTRY_CONNREQ_TRANSPORTS: 'http,http' })).toThrow(/REGISTRY_CONNREQ_TRANSPORTS.*twice/s);
    expect(() => registryConfig.load({ ACS_SECRET_KEY: key, REGISTRY_CONNREQ_TRANSPORTS: ' , ' })).toThrow(/REGISTRY_CONNREQ_TRANSPORTS/);
  });

  it('rejects a lone onboarding username once the rest is valid', () => {
    expect(() => registryConfig.load({ ACS_SECRET_KEY: key, ACS_ONBOARDING_USERNAME: 'lab' })).toThrow(/ACS_ONBOARDING_PASSWORD/);
  });

  it('gives the unit its realm, policy, listener, transports, onboarding type and admin token', () => {
    const config = registryConfig.load({
      ACS_SECRET_KEY: key,
      CWMP_AUTH_REALM: 'lab',
      NBI_HOST: '0.0.0.0',
      REGISTRY_CONNREQ_TRANSPORTS: 'xmpp,http',
      ACS_ONBOARDING_USERNAME: 'u',
      ACS_ONBOARDING_PASSWORD: 'p',
      ACS_NBI_TOKEN: 'an-admin-token-of-some-length',
    });
    expect(registryServiceSettings(config)).toEqual({
      realm: 'lab',
      policy: policyFromConfig(config),
      nbi: { host: '0.0.0.0', port: 7557 },
      transports: ['xmpp', 'http'],
      onboarding: { username: 'u', password: 'p' },
      adminToken: 'an-admin-token-of-some-length',
    });
    expect(registryServiceSettings(registryConfig.load({ ACS_SECRET_KEY: key }))).not.toHaveProperty('onboarding');
  });
});
