import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@acs/config';
import { gatewayConfig, gatewayServiceSettings, gatewaySettings } from './config.js';

describe('gateway configuration', () => {
  it('has the documented defaults, listening on loopback', () => {
    const c = gatewayConfig.load({});
    expect(c).toMatchObject({
      CWMP_PORT: 7547,
      CWMP_HOST: '127.0.0.1',
      CWMP_PATH: '/cwmp/',
      CWMP_SESSION_TIMEOUT_MS: 30_000,
      CWMP_ALLOW_BASIC: false,
      CWMP_TRUSTED_PROXIES: [],
      ACS_SUBJECT_PREFIX: 'acs',
    });
    expect(gatewaySettings(c)).toMatchObject({ path: '/cwmp/', sessionTimeoutMs: 30_000 });
  });

  it('reads every variable, durations with units and lists', () => {
    const c = gatewayConfig.load({
      CWMP_PORT: '8080',
      CWMP_PATH: '/acs',
      CWMP_SESSION_TIMEOUT_MS: '45s',
      CWMP_TRUSTED_PROXIES: '10.0.0.0/8, loopback',
      CWMP_ALLOW_BASIC: 'true',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      REDIS_URL: 'redis://r:6379/1',
    });
    expect(c).toMatchObject({
      CWMP_PORT: 8080,
      CWMP_PATH: '/acs',
      CWMP_SESSION_TIMEOUT_MS: 45_000,
      CWMP_TRUSTED_PROXIES: ['10.0.0.0/8', 'loopback'],
      CWMP_ALLOW_BASIC: true,
      NATS_URL: ['nats://a:4222', 'nats://b:4222'],
    });
  });

  function failure(env: Record<string, string>): string {
    try {
      gatewayConfig.load(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('configuration was accepted');
  }

  it('names a bad variable', () => {
    expect(failure({ CWMP_PORT: 'x' })).toContain('CWMP_PORT');
    expect(failure({ CWMP_PATH: 'cwmp' })).toContain('CWMP_PATH');
  });

  it('requires a shared nonce secret in production and both TLS files together, naming the variables', () => {
    const message = failure({ NODE_ENV: 'production', CWMP_TLS_CERT_FILE: '/tls/cert.pem' });
    expect(message).toContain('CWMP_NONCE_SECRET');
    expect(message).toContain('CWMP_TLS_KEY_FILE');
    expect(() => gatewayConfig.load({ NODE_ENV: 'production', CWMP_NONCE_SECRET: 'z'.repeat(32) })).not.toThrow();
  });

  it('gives the unit where to listen and its TLS files', () => {
    const plain = gatewayServiceSettings(gatewayConfig.load({ CWMP_HOST: '0.0.0.0', CWMP_PORT: '8443' }), 'x'.repeat(16));
    expect(plain).toEqual({ gateway: expect.objectContaining({ path: '/cwmp/', nonceSecret: 'x'.repeat(16) }), listen: { host: '0.0.0.0', port: 8443 } });
    const tls = gatewayServiceSettings(gatewayConfig.load({ CWMP_TLS_CERT_FILE: '/tls/c.pem', CWMP_TLS_KEY_FILE: '/tls/k.pem' }), 'x'.repeat(16));
    expect(tls.tls).toEqual({ certFile: '/tls/c.pem', keyFile: '/tls/k.pem' });
  });
});
