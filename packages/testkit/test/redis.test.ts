import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../src/index.js';

const LOCK_TTL_MS = 300;

async function pollUntil<T>(attempt: () => Promise<T | null>, deadlineMs: number): Promise<{ value: T; waitedMs: number }> {
  const start = Date.now();
  for (;;) {
    const value = await attempt();
    if (value !== null) return { value, waitedMs: Date.now() - start };
    if (Date.now() - start > deadlineMs) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('redis-server', () => {
  let server: RedisServer;
  let a: Redis;
  let b: Redis;

  beforeAll(async () => {
    server = await startRedis();
    a = new Redis(server.url);
    b = new Redis(server.url);
  });

  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await server?.stop();
  });

  it('lets exactly one of two clients take a SET NX PX lock, and the other once it expires', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const key = 'acs:lock:device:00D09E-IGD-1';
    const [ra, rb] = await Promise.all([
      a.set(key, 'gateway-a', 'PX', LOCK_TTL_MS, 'NX'),
      b.set(key, 'gateway-b', 'PX', LOCK_TTL_MS, 'NX'),
    ]);
    const winners = [ra, rb].filter((r) => r === 'OK');
    expect(winners).toHaveLength(1);
    const [holder, loser, loserName] = ra === 'OK' ? ['gateway-a', b, 'gateway-b'] : ['gateway-b', a, 'gateway-a'];
    expect(await a.get(key)).toBe(holder);
    expect(await loser.set(key, loserName, 'PX', LOCK_TTL_MS, 'NX')).toBeNull();

    const { waitedMs } = await pollUntil(() => loser.set(key, loserName, 'PX', LOCK_TTL_MS, 'NX'), 5_000);
    expect(await a.get(key)).toBe(loserName);
    // Only expiry can have freed it: nobody deleted the key.
    expect(waitedMs).toBeGreaterThan(LOCK_TTL_MS / 2);
  });
});
