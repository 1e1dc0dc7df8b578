import { describe, expect, it } from '@jest/globals';
import { describeBusContract } from './bus.contract.js';
import { createMemoryBus, MemoryBroker } from './memory-bus.js';
import { BusConfigError } from './errors.js';

const broker = new MemoryBroker();
describeBusContract('MemoryBus', async () => createMemoryBus({ broker }));

describe('MemoryBus specifics', () => {
  it('isolates clients of different brokers', async () => {
    const a = createMemoryBus();
    const b = createMemoryBus();
    const got: unknown[] = [];
    const own = new Promise<void>((resolve) =>
      b.subscribe('x.y', (m) => {
        got.push(JSON.parse(new TextDecoder().decode(m.data)));
        resolve();
      }),
    );
    a.publish('x.y', { from: 'a' });
    b.publish('x.y', { from: 'b' });
    await own;
    await b.drain();
    expect(got).toEqual([{ from: 'b' }]);
    await a.close();
  });

  it('refuses overlapping work-queue consumers and overlapping streams, like JetStream', async () => {
    const bus = createMemoryBus();
    await bus.ensureStreams([{ name: 'CMD', subjects: ['c.>'], retention: 'workqueue', storage: 'memory', duplicateWindowMs: 1_000, maxAgeMs: 0 }]);
    await expect(
      bus.ensureStreams([{ name: 'OTHER', subjects: ['c.x'], retention: 'limits', storage: 'memory', duplicateWindowMs: 1_000, maxAgeMs: 0 }]),
    ).rejects.toBeInstanceOf(BusConfigError);
    await bus.consume('CMD', 'all-http', () => {}, { ackWaitMs: 1_000, maxDeliver: 1, filterSubject: 'c.http.*' });
    await expect(bus.consume('CMD', 'any', () => {}, { ackWaitMs: 1_000, maxDeliver: 1, filterSubject: 'c.*.x' })).rejects.toBeInstanceOf(BusConfigError);
    await bus.consume('CMD', 'udp', () => {}, { ackWaitMs: 1_000, maxDeliver: 1, filterSubject: 'c.udp.*' });
    await bus.close();
  });

  it('reports handler failures to onError instead of throwing into the publisher', async () => {
    const errors: Array<{ error: unknown; operation: string }> = [];
    const bus = createMemoryBus({ onError: (error, ctx) => errors.push({ error, operation: ctx.operation }) });
    let calls = 0;
    bus.subscribe('f.x', () => {
      calls += 1;
      throw new Error('handler bug');
    });
    const delivered = new Promise<void>((resolve) => bus.subscribe('f.x', () => resolve()));
    expect(() => bus.publish('f.x', {})).not.toThrow();
    await delivered;
    await bus.drain();
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.operation).toBe('subscribe');
  });
});
