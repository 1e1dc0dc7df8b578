import { ConfigError, loadConfig } from '@acs/config';
import { describe, expect, it } from '@jest/globals';
import { allInOneOptions, appConfig } from './config.js';

describe('all-in-one configuration', () => {
  it('defaults to loopback on 7547/7557 with ./data and no onboarding', () => {
    const options = allInOneOptions(loadConfig(appConfig, {}));
    expect(options).toMatchObject({ dataDir: './data', cwmp: { host: '127.0.0.1', port: 7547 }, nbi: { host: '127.0.0.1', port: 7557 } });
    expect(options.onboarding).toBeUndefined();
    expect(options.secretKey).toBeUndefined();
  });

  it('accepts port 0 and the onboarding pair', () => {
    const options = allInOneOptions(
      loadConfig(appConfig, { CWMP_PORT: '0', NBI_PORT: '0', ACS_ONBOARDING_USERNAME: 'lab', ACS_ONBOARDING_PASSWORD: 'secret', ACS_DATA_DIR: '/tmp/x' }),
    );
    expect(options).toMatchObject({ dataDir: '/tmp/x', cwmp: { port: 0 }, nbi: { port: 0 }, onboarding: { username: 'lab', password: 'secret' } });
  });

  it('names the variable when only half of the onboarding pair is set', () => {
    expect(() => loadConfig(appConfig, { ACS_ONBOARDING_USERNAME: 'lab' })).toThrow(ConfigError);
    expect(() => loadConfig(appConfig, { ACS_ONBOARDING_USERNAME: 'lab' })).toThrow(/ACS_ONBOARDING_PASSWORD/);
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig(appConfig, { NBI_PORT: '70000' })).toThrow(/NBI_PORT/);
  });

  it('reads the services’ own variables but those of servers one process does not use', () => {
    for (const name of ['CWMP_TRUSTED_PROXIES', 'CWMP_MAX_BODY_BYTES', 'CWMP_NONCE_TTL_MS', 'CWMP_TLS_CERT_FILE', 'REGISTRY_TASK_MAX_ATTEMPTS', 'REGISTRY_CONNREQ_TRANSPORTS', 'NBI_TOKEN_DIR', 'CONNREQ_HTTP_CONCURRENCY', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
      expect(appConfig.variables).toContain(name);
    }
    for (const name of ['NATS_URL', 'REDIS_URL', 'MONGODB_URL', 'NODE_ENV', 'REGISTRY_METRICS_PORT', 'CONNREQ_HTTP_METRICS_PORT', 'CWMP_REGISTRY_TIMEOUT_MS']) {
      expect(appConfig.variables).not.toContain(name);
    }
  });

  it('maps them through the services’ own mappings', () => {
    const options = allInOneOptions(
      loadConfig(appConfig, {
        CWMP_TRUSTED_PROXIES: '10.0.0.0/8',
        CWMP_MAX_BODY_BYTES: '65536',
        CWMP_NONCE_TTL_MS: '1m',
        CWMP_TLS_CERT_FILE: '/tls/c.pem',
        CWMP_TLS_KEY_FILE: '/tls/k.pem',
        REGISTRY_TASK_MAX_ATTEMPTS: '7',
        NBI_TOKEN_DIR: '/tokens',
        CONNREQ_HTTP_CONCURRENCY: '3',
      }),
    );
    expect(options.gateway).toMatchObject({ trustedProxies: ['10.0.0.0/8'], maxBodyBytes: 65_536, nonceTtlMs: 60_000 });
    expect(options.cwmpTls).toEqual({ certFile: '/tls/c.pem', keyFile: '/tls/k.pem' });
    expect(options.policy).toMatchObject({ maxAttempts: 7 });
    // Unset: the all-in-one plans every transport whose worker it runs.
    expect(options.transports).toBeUndefined();
    expect(options.nbiTokenDir).toBe('/tokens');
    expect(options.connreqHttp).toMatchObject({ concurrency: 3 });
  });

  it('applies the services’ checks across variables, and refuses a transport no in-process worker serves', () => {
    expect(() => loadConfig(appConfig, { CWMP_TLS_CERT_FILE: '/tls/c.pem' })).toThrow(/CWMP_TLS_KEY_FILE/);
    expect(() => loadConfig(appConfig, { REGISTRY_CONNREQ_TRANSPORTS: 'http,xmpp' })).toThrow(/REGISTRY_CONNREQ_TRANSPORTS: no xmpp worker runs in the all-in-one/);
  });

  it('runs the XMPP worker only with CONNREQ_XMPP_SERVICE (and its password), and plans xmpp only then', () => {
    expect(allInOneOptions(loadConfig(appConfig, {})).xmpp).toBeUndefined();
    expect(() => loadConfig(appConfig, { CONNREQ_XMPP_SERVICE: 'xmpp://127.0.0.1:5222' })).toThrow(/CONNREQ_XMPP_PASSWORD/);
    const options = allInOneOptions(loadConfig(appConfig, { CONNREQ_XMPP_SERVICE: 'xmpp://127.0.0.1:5222', CONNREQ_XMPP_PASSWORD: 'pw', CONNREQ_XMPP_TIMEOUT_MS: '1500' }));
    expect(options.xmpp).toMatchObject({ xmpp: { domain: '127.0.0.1', username: 'acs', password: 'pw' }, timeoutMs: 1500, cpe: { server: { address: '127.0.0.1', port: 5222 } } });
    expect(options.transports).toBeUndefined();
    expect(allInOneOptions(loadConfig(appConfig, { CONNREQ_XMPP_SERVICE: 'xmpp://127.0.0.1', CONNREQ_XMPP_PASSWORD: 'pw', REGISTRY_CONNREQ_TRANSPORTS: 'http,xmpp' })).transports).toEqual(['http', 'xmpp']);
  });

  it('runs the STUN server and the UDP worker unless STUN_ENABLED=false, with the secret from the data dir unless set', () => {
    const options = allInOneOptions(loadConfig(appConfig, { STUN_PUBLIC_ADDRESS: 'acs.example.net', CONNREQ_UDP_COPIES: '2' }));
    expect(options.stun).toMatchObject({ listen: { host: '127.0.0.1', port: 3478 }, publicServer: { address: 'acs.example.net', port: 3478 }, udp: { copies: 2 } });
    expect(options.stun).not.toHaveProperty('secret');
    expect(allInOneOptions(loadConfig(appConfig, { STUN_SECRET: 'from-a-kubernetes-secret', STUN_PORT: '0' })).stun).toMatchObject({ secret: 'from-a-kubernetes-secret', listen: { port: 0 } });
    expect(allInOneOptions(loadConfig(appConfig, { STUN_ENABLED: 'false' })).stun).toBeUndefined();
    expect(() => loadConfig(appConfig, { STUN_ENABLED: 'false', REGISTRY_CONNREQ_TRANSPORTS: 'http,udp' })).toThrow(/no udp worker runs in the all-in-one/);
  });
});
