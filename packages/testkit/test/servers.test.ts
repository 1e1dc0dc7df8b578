import { startNats, startRedis } from '../src/index.js';

describe('harness', () => {
  it('starts nats-server with JetStream and redis-server on loopback', async () => {
    const nats = await startNats();
    const redis = await startRedis();
    try {
      expect(nats.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await nats.stop();
      await redis.stop();
    }
  });
});
