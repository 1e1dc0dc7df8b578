import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@acs/config';
import { connreqXmppConfig, replicaResource, serviceSettings } from './config.js';

const required = { CONNREQ_XMPP_SERVICE: 'xmpp://xmpp.acs.example', CONNREQ_XMPP_PASSWORD: 's3cret' };

function configError(env: Record<string, string>): string {
  try {
    connreqXmppConfig.load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('connreq-xmpp config', () => {
  it('has working defaults around the two required variables, derived from the service URI', () => {
    const settings = serviceSettings(connreqXmppConfig.load(required), { hostname: 'pod-7' });
    expect(settings).toEqual({
      xmpp: {
        endpoint: { service: 'xmpp://xmpp.acs.example', host: 'xmpp.acs.example', port: 5222, directTls: false },
        domain: 'xmpp.acs.example',
        username: 'acs',
        password: 's3cret',
        resource: expect.stringMatching(/^acs-pod-7-[0-9a-f]{6}$/),
        reconnect: { baseMs: 500, maxMs: 30_000 },
        keepaliveMs: 30_000,
      },
      timeoutMs: 5_000,
      reconnectGraceMs: 30_000,
      worker: { concurrency: 64, minIntervalPerDeviceMs: 5_000, retry: { baseMs: 500, maxMs: 5_000 }, ackWaitMs: 60_000, maxDeliver: 5 },
      cpe: { server: { address: 'xmpp.acs.example', port: 5222 }, useTLS: true },
    });
    expect(connreqXmppConfig.load(required)).toMatchObject({ CONNREQ_XMPP_HEALTH_HOST: '127.0.0.1', CONNREQ_XMPP_METRICS_HOST: '127.0.0.1', ACS_SUBJECT_PREFIX: 'acs' });
  });

  it('takes the domain, the CPE-facing server and the CA apart from the connection settings', () => {
    const config = connreqXmppConfig.load({
      ...required,
      CONNREQ_XMPP_SERVICE: 'xmpps://10.0.0.5:5223',
      CONNREQ_XMPP_DOMAIN: 'acs.example',
      CONNREQ_XMPP_CPE_SERVER_ADDRESS: 'xmpp.acs.example',
      CONNREQ_XMPP_CPE_SERVER_PORT: '5222',
      CONNREQ_XMPP_TIMEOUT_MS: '2s',
    });
    const settings = serviceSettings(config, { hostname: 'h', ca: 'PEM' });
    expect(settings.xmpp).toMatchObject({ endpoint: { host: '10.0.0.5', port: 5223, directTls: true }, domain: 'acs.example', ca: 'PEM' });
    expect(settings.cpe).toEqual({ server: { address: 'xmpp.acs.example', port: 5222 }, useTLS: true });
    expect(settings.timeoutMs).toBe(2_000);
  });

  it('reads the password from a mounted secret file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'connreq-xmpp-config-'));
    try {
      writeFileSync(join(dir, 'password'), 'from-file\n');
      const config = connreqXmppConfig.load({ CONNREQ_XMPP_SERVICE: 'xmpp://x', CONNREQ_XMPP_PASSWORD_FILE: join(dir, 'password') });
      expect(config.CONNREQ_XMPP_PASSWORD).toBe('from-file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every bad or missing variable, never the password', () => {
    const message = configError({ CONNREQ_XMPP_SERVICE: 'http://xmpp.acs.example', CONNREQ_XMPP_CONCURRENCY: '0', CONNREQ_XMPP_CPE_USE_TLS: 'yes' });
    for (const name of ['CONNREQ_XMPP_SERVICE', 'CONNREQ_XMPP_PASSWORD', 'CONNREQ_XMPP_CONCURRENCY', 'CONNREQ_XMPP_CPE_USE_TLS']) expect(message).toContain(name);
    expect(configError({ ...required, CONNREQ_XMPP_PASSWORD: 'hunter2', CONNREQ_XMPP_SERVICE: 'ftp://a' })).not.toContain('hunter2');
  });

  it('gives every replica its own resource', () => {
    const resources = new Set(Array.from({ length: 50 }, () => replicaResource('acs', 'pod-1')));
    expect(resources.size).toBe(50);
  });
});
