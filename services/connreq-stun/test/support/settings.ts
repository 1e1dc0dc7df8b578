import type { ConnreqStunSettings } from '../../src/service.js';

export const TEST_SECRET = 'test-stun-secret-0123456789';

/** A replica on an ephemeral loopback port with short waits, for tests. */
export function testSettings(overrides: Partial<ConnreqStunSettings> = {}): ConnreqStunSettings {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    secret: TEST_SECRET,
    publicServer: { address: 'stun.example.net', port: 3478 },
    replica: 'stun-a',
    lookup: { ttlMs: 60_000, negativeTtlMs: 0 },
    cacheEntries: 10_000,
    udp: { copies: 3, intervalMs: 20, sessionWaitMs: 1_500, addressMaxAgeMs: 60_000 },
    worker: { concurrency: 64, minIntervalPerDeviceMs: 0, retry: { baseMs: 50, maxMs: 200 }, ackWaitMs: 30_000 },
    ...overrides,
  };
}
