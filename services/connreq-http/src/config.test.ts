import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@acs/config';
import { connreqHttpConfig, workerSettings } from './config.js';

describe('connreq-http config', () => {
  it('has working defaults', () => {
    const config = connreqHttpConfig.load({});
    expect(config.NATS_URL).toEqual(['nats://127.0.0.1:4222']);
    expect(config.ACS_SUBJECT_PREFIX).toBe('acs');
    expect(workerSettings(config)).toEqual({
      concurrency: 64,
      minIntervalPerDeviceMs: 5_000,
      retry: { baseMs: 500, maxMs: 5_000 },
      http: { connectTimeoutMs: 2_000, timeoutMs: 5_000 },
      ackWaitMs: 60_000,
      maxDeliver: 5,
    });
  });

  it('maps the egress variables to the default egress', () => {
    const config = connreqHttpConfig.load({ CONNREQ_HTTP_LOCAL_ADDRESS: '10.8.0.2', CONNREQ_HTTP_PROXY_URL: 'http://proxy.vpn:3128', CONNREQ_HTTP_MIN_INTERVAL_MS: '2s' });
    const settings = workerSettings(config);
    expect(settings.http.defaultEgress).toEqual({ localAddress: '10.8.0.2', proxyUrl: 'http://proxy.vpn:3128' });
    expect(settings.minIntervalPerDeviceMs).toBe(2_000);
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      connreqHttpConfig.load({ CONNREQ_HTTP_CONCURRENCY: '0', CONNREQ_HTTP_LOCAL_ADDRESS: 'vpn0', CONNREQ_HTTP_PROXY_URL: 'socks5://x:1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['CONNREQ_HTTP_CONCURRENCY', 'CONNREQ_HTTP_LOCAL_ADDRESS', 'CONNREQ_HTTP_PROXY_URL']) expect(message).toContain(name);
  });
});
