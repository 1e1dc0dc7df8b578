import { afterEach, describe, expect, it } from '@jest/globals';
import type { StreamDefinition } from '@acs/contracts';
import type { DurableMessage } from './bus.js';
import { consumeBounded, type BoundedConsumer } from './bounded-consumer.js';
import { createMemoryBus, MemoryBroker, type MemoryBus } from './memory-bus.js';

const STREAM: StreamDefinition = { name: 'CMD', subjects: ['c.>'], retention: 'workqueue', storage: 'memory', duplicateWindowMs: 60_000, maxAgeMs: 0 };
const OPTS = { ackWaitMs: 30_000, maxDeliver: 5, filterSubject: 'c.work' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A gate handlers wait at until the test opens it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

async function setup(): Promise<{ broker: MemoryBroker; client(): MemoryBus; publish(n: number): Promise<void>; stored(): number }> {
  const broker = new MemoryBroker();
  const client = () => {
    const bus = createMemoryBus({ broker });
    cleanups.push(() => bus.close());
    return bus;
  };
  const publisher = client();
  await publisher.ensureStreams([STREAM]);
  let n = 0;
  return {
    broker,
    client,
    async publish(count) {
      for (let i = 0; i < count; i++) await publisher.publishDurable('c.work', { n: ++n }, { msgId: `m${n}` });
    },
    stored: () => broker.streams.get(STREAM.name)?.messages.size ?? -1,
  };
}

const body = (msg: DurableMessage) => (JSON.parse(Buffer.from(msg.data).toString()) as { n: number }).n;

/** Another replica of the durable, acking what it gets. */
async function collect(bus: MemoryBus): Promise<{ n: number; count: number }[]> {
  const got: { n: number; count: number }[] = [];
  await bus.consume(STREAM.name, 'workers', async (msg) => {
    got.push({ n: body(msg), count: msg.deliveryCount });
    await msg.ack();
  }, OPTS);
  return got;
}

async function bounded(bus: MemoryBus, handler: Parameters<typeof consumeBounded>[3], extra: Partial<Parameters<typeof consumeBounded>[4]> = {}): Promise<BoundedConsumer> {
  const consumer = await consumeBounded(bus, STREAM.name, 'workers', handler, { ...OPTS, concurrency: 2, ...extra });
  cleanups.push(() => consumer.stop());
  return consumer;
}

describe('consumeBounded (MemoryBus)', () => {
  it('runs at most `concurrency` handlers and takes no more meanwhile: another replica of the durable gets them', async () => {
    const s = await setup();
    const held = gate();
    const mine: number[] = [];
    const consumer = await bounded(s.client(), async (msg) => {
      mine.push(body(msg));
      await held.wait;
      await msg.ack();
    });
    await s.publish(2);
    await waitFor('two running', () => consumer.running === 2);
    // A third delivery to this replica waits for a slot, holding the consumer: the replica pulls nothing beyond it.
    await s.publish(4);
    const other = await collect(s.client());
    await waitFor('the other replica to take the rest', () => other.length === 3);
    expect(mine).toEqual([1, 2]);
    expect(consumer.running).toBe(2);
    held.open();
    await waitFor('all acked', () => s.stored() === 0);
    expect([...mine, ...other.map((o) => o.n)].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mine).toHaveLength(3);
  });

  it('passes the delivery time, taken before the message waited for a slot (its ackWait runs from then)', async () => {
    const s = await setup();
    let now = 1_000;
    const first = gate();
    const seen: { n: number; deliveredAt: number; startedAt: number }[] = [];
    await bounded(
      s.client(),
      async (msg, { deliveredAt }) => {
        seen.push({ n: body(msg), deliveredAt, startedAt: now });
        if (body(msg) === 1) await first.wait;
        await msg.ack();
      },
      { concurrency: 1, now: () => now },
    );
    await s.publish(2);
    await waitFor('the first running', () => seen.length === 1);
    await new Promise((resolve) => setImmediate(resolve));
    now = 5_000;
    first.open();
    await waitFor('the second running', () => seen.length === 2);
    expect(seen).toEqual([
      { n: 1, deliveredAt: 1_000, startedAt: 1_000 },
      { n: 2, deliveredAt: 1_000, startedAt: 5_000 },
    ]);
  });

  it('stop(): waits for the running handlers and hands the message without a slot back at once', async () => {
    const s = await setup();
    const held = gate();
    const finished: number[] = [];
    const deliveries: { n: number; count: number }[] = [];
    const consumer = await bounded(
      s.client(),
      async (msg) => {
        deliveries.push({ n: body(msg), count: msg.deliveryCount });
        await held.wait;
        finished.push(body(msg));
        await msg.ack();
      },
      { concurrency: 1 },
    );
    await s.publish(2);
    await waitFor('one running', () => consumer.running === 1);
    const stopped = consumer.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    held.open();
    await stopped;
    expect(finished).toEqual([1]);
    expect(consumer.running).toBe(0);
    // The message that waited for the slot was nak'd without a delay: the next replica gets it as delivery 2.
    const next = await collect(s.client());
    await waitFor('the handed-back message', () => next.length === 1);
    expect(next).toEqual([{ n: 2, count: 2 }]);
    expect(deliveries).toEqual([{ n: 1, count: 1 }]);
  });

  it('stop(): aborts `stopping` once the consumer is closed, so a handler that is only waiting hands its message back', async () => {
    const s = await setup();
    const sawStopping: number[] = [];
    const consumer = await bounded(
      s.client(),
      async (msg, { stopping }) => {
        // Waiting for something that will not come before stop (a long back-off, say).
        await new Promise((resolve) => stopping.addEventListener('abort', resolve, { once: true }));
        sawStopping.push(body(msg));
        await msg.nak();
      },
      { concurrency: 1 },
    );
    await s.publish(2);
    await waitFor('one running', () => consumer.running === 1);
    // Nothing else ends the running handler: stop() itself must not wait behind it or behind the message held for a slot.
    await consumer.stop();
    expect(sawStopping).toEqual([1]);
    const next = await collect(s.client());
    await waitFor('both handed back', () => next.length === 2);
    expect(next.sort((a, b) => a.n - b.n)).toEqual([
      { n: 1, count: 2 },
      { n: 2, count: 2 },
    ]);
  });

  it('naks the message of a handler that threw and reports the error; the slot is freed', async () => {
    const s = await setup();
    const errors: { error: unknown; n: number }[] = [];
    const acked: { n: number; count: number }[] = [];
    const consumer = await bounded(
      s.client(),
      async (msg) => {
        if (msg.deliveryCount === 1) throw new Error(`boom ${body(msg)}`);
        acked.push({ n: body(msg), count: msg.deliveryCount });
        await msg.ack();
      },
      { concurrency: 1, onError: (error, msg) => errors.push({ error, n: body(msg) }) },
    );
    await s.publish(1);
    await waitFor('the redelivery acked', () => acked.length === 1);
    expect(acked).toEqual([{ n: 1, count: 2 }]);
    expect(errors.map((e) => [(e.error as Error).message, e.n])).toEqual([['boom 1', 1]]);
    expect(consumer.running).toBe(0);
  });

  it('refuses a concurrency that is not a positive integer, before consuming', async () => {
    const s = await setup();
    const bus = s.client();
    await expect(consumeBounded(bus, STREAM.name, 'workers', async () => undefined, { ...OPTS, concurrency: 0 })).rejects.toBeInstanceOf(RangeError);
    await s.publish(1);
    // No consumer took it: the message is still stored.
    expect(s.stored()).toBe(1);
  });
});
