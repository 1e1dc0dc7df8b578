import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, type NatsServer } from '@acs/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Status } from '@nats-io/nats-core';
import { describeBusContract } from '../src/bus.contract.js';
import { createNatsBus } from '../src/nats-bus.js';

let server: NatsServer;

beforeAll(async () => {
  server = await startNats();
});

afterAll(async () => {
  await server?.stop();
});

const connect = () => createNatsBus({ servers: server.url, reconnectTimeWaitMs: 100, pullExpiresMs: 2_000, publishAttemptTimeoutMs: 500 });

describeBusContract('NatsBus', connect, { restartServer: () => server.restart(), restartTimeoutMs: 20_000 });

describe('NatsBus specifics', () => {
  it('registers serveService as a NATS micro service that $SRV discovery finds', async () => {
    const bus = await connect();
    try {
      const handle = await bus.serveService({ name: 'acs-contract-svc', version: '1.2.3', description: 'discovery test' }, [
        { name: 'hello', subject: 'svcdisc.hello', handler: () => ({ hi: true }) },
      ]);
      const info = JSON.parse(new TextDecoder().decode((await bus.request('$SRV.INFO.acs-contract-svc', {}, { timeoutMs: 2_000 })).data)) as {
        name: string;
        version: string;
        endpoints: { name: string; subject: string; queue_group: string }[];
      };
      expect(info.name).toBe('acs-contract-svc');
      expect(info.version).toBe('1.2.3');
      expect(info.endpoints).toEqual([expect.objectContaining({ name: 'hello', subject: 'svcdisc.hello', queue_group: 'acs-contract-svc' })]);
      await handle.stop();
    } finally {
      await bus.close();
    }
  });

  it('a message nak\'d after its consumer stopped goes to the next consumer at once, not after its ackWait', async () => {
    // The default pull expiry: the stopped consumer's last pull request would live on for seconds.
    const [a, b] = [await createNatsBus({ servers: server.url }), await createNatsBus({ servers: server.url })];
    const stream = { name: 'NAKSTOP', subjects: ['nakstop.>'], retention: 'workqueue' as const, storage: 'file' as const, duplicateWindowMs: 60_000, maxAgeMs: 0 };
    const opts = { ackWaitMs: 30_000, maxDeliver: 3, filterSubject: 'nakstop.x' };
    try {
      await a.ensureStreams([stream]);
      const held: { nak(): Promise<void> }[] = [];
      const first = await a.consume(stream.name, 'nakstop', (m) => void held.push(m), opts);
      for (let i = 0; i < 3; i++) await a.publishDurable('nakstop.x', { i }, { msgId: `m${i}` });
      const until = Date.now() + 5_000;
      while (held.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(held).toHaveLength(3);
      // As in a worker busy with what it holds: the consumer has its next pull request waiting on the server.
      const jsm = await jetstreamManager(b.connection);
      while ((await jsm.consumers.info(stream.name, 'nakstop')).num_waiting === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      await first.stop();
      for (const m of held) await m.nak();
      const got: number[] = [];
      const startedAt = Date.now();
      await b.consume(stream.name, 'nakstop', async (m) => {
        got.push(m.deliveryCount);
        await m.ack();
      }, opts);
      while (got.length < 3 && Date.now() - startedAt < 10_000) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual([2, 2, 2]);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  it('reports disconnect and reconnect through onStatus and keeps the connection alive', async () => {
    const seen: Status['type'][] = [];
    const bus = await createNatsBus({ servers: server.url, reconnectTimeWaitMs: 100, onStatus: (s) => void seen.push(s.type) });
    try {
      await server.restart();
      const deadline = Date.now() + 15_000;
      while (!seen.includes('reconnect') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toContain('disconnect');
      expect(seen).toContain('reconnect');
      await bus.flush();
      expect(bus.connection.isClosed()).toBe(false);
    } finally {
      await bus.close();
    }
  });
});
