import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REDIS_INSTALL, requireBinary, spawnOwned, startRedis, type OwnedProcess, type RedisServer } from '@acs/testkit';
import { Redis } from 'ioredis';
import { describeDeviceLockContract } from '../src/device-lock.contract.js';
import { eventually } from '../src/eventually.js';
import { KvCommandError, KvUnavailableError } from '../src/errors.js';
import { describeRateLimiterContract } from '../src/rate-limiter.contract.js';
import { createRedisKv, RedisDeviceLock, RedisRateLimiter, RedisSessionStore } from '../src/redis.js';
import { describeSessionStoreContract } from '../src/session-store.contract.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** Two separate connections to the one server, under a prefix unique to this fixture. */
function twoClients<P>(build: (client: Redis, prefix: string) => P) {
  const prefix = `t:${randomUUID()}:`;
  const a = new Redis(server.url);
  const b = new Redis(server.url);
  return {
    first: build(a, prefix),
    second: build(b, prefix),
    close: async () => {
      await Promise.all([a.quit(), b.quit()]);
    },
  };
}

describeSessionStoreContract('RedisSessionStore', () => twoClients((c, prefix) => new RedisSessionStore(c, { prefix })));
describeDeviceLockContract('RedisDeviceLock', () => twoClients((c, prefix) => new RedisDeviceLock(c, { prefix })));
describeRateLimiterContract('RedisRateLimiter', () => twoClients((c, prefix) => new RedisRateLimiter(c, { prefix })));

describe('Redis adapters', () => {
  it('keep every key under the prefix, with the TTL set on the server', async () => {
    const kv = createRedisKv(server.url, { prefix: 'tenant-a:' });
    const probe = new Redis(server.url);
    try {
      await kv.sessions.put('dev1', { s: 1 }, 60_000);
      await kv.locks.acquire('dev1', 60_000);
      await kv.rateLimiter.hit('dev1', { limit: 1, windowMs: 60_000 });
      expect((await probe.keys('tenant-a:*')).sort()).toEqual(['tenant-a:lock:dev1', 'tenant-a:rate:dev1', 'tenant-a:session:dev1']);
      expect(await probe.get('tenant-a:session:dev1')).toBe('{"s":1}');
      const ttl = await probe.pttl('tenant-a:session:dev1');
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await kv.close();
      await probe.quit();
    }
  });

  it('shares a client passed in and leaves it open on close()', async () => {
    const client = new Redis(server.url);
    const kv = createRedisKv(client, { prefix: `shared-${randomUUID()}:` });
    await kv.sessions.put('x', { v: 1 }, 60_000);
    await kv.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('reports a value of the wrong Redis type as KvCommandError', async () => {
    const client = new Redis(server.url);
    const prefix = `wrongtype-${randomUUID()}:`;
    await client.hset(`${prefix}session:h`, 'a', '1');
    const store = new RedisSessionStore(client, { prefix: `${prefix}session:` });
    await expect(store.get('h')).rejects.toBeInstanceOf(KvCommandError);
    await client.quit();
  });
});

describe('Redis outage and restart', () => {
  let own: RedisServer;
  let replacement: OwnedProcess | undefined;
  beforeAll(async () => {
    own = await startRedis();
  });
  afterAll(async () => {
    await replacement?.stop();
    await own?.stop();
  });

  it('surfaces an outage as KvUnavailableError on every port, then recovers after a restart', async () => {
    const errors: Error[] = [];
    const kv = createRedisKv(own.url, { prefix: 'outage:', onError: (e) => errors.push(e) });
    try {
      await kv.sessions.put('dev', { v: 1 }, 60_000);
      const lock = await kv.locks.acquire('dev', 60_000);
      expect(lock).not.toBeNull();

      await own.stop();
      const started = Date.now();
      await Promise.all([
        expect(kv.sessions.get('dev')).rejects.toBeInstanceOf(KvUnavailableError),
        expect(kv.sessions.put('dev', { v: 2 }, 60_000)).rejects.toMatchObject({ name: 'KvUnavailableError', code: 'KV_UNAVAILABLE' }),
        expect(kv.sessions.touch('dev', 60_000)).rejects.toBeInstanceOf(KvUnavailableError),
        expect(kv.locks.acquire('dev2', 60_000)).rejects.toBeInstanceOf(KvUnavailableError),
        expect(kv.locks.release(lock!)).rejects.toBeInstanceOf(KvUnavailableError),
        expect(kv.rateLimiter.hit('dev', { limit: 1, windowMs: 1_000 })).rejects.toBeInstanceOf(KvUnavailableError),
      ]);
      const failedAfterMs = Date.now() - started;
      // Failing fast is the point: a gateway must answer the CPE, not hang on its store.
      expect(failedAfterMs).toBeLessThan(5_000);
      expect(errors.length).toBeGreaterThan(0);

      // Same port, empty data set (no persistence): the client reconnects by itself.
      replacement = spawnOwned(requireBinary('redis-server', REDIS_INSTALL), ['--port', String(own.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
      await eventually(
        'the adapter to work again after the restart',
        () => kv.sessions.put('dev', { v: 3 }, 60_000).then(() => true, () => false),
        15_000,
        100,
      );
      expect(await kv.sessions.get('dev')).toEqual({ v: 3 });
      // The scripts were flushed with the old server; EVALSHA must fall back to loading them again.
      expect(await kv.locks.acquire('dev', 60_000)).not.toBeNull();
      // A fresh key: a hit refused as unavailable may still have reached the server (outcome unknown).
      expect((await kv.rateLimiter.hit('after-restart', { limit: 1, windowMs: 60_000 })).allowed).toBe(true);
    } finally {
      await kv.close();
    }
  });
});
