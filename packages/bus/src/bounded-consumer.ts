import type { Bus, Consumer, ConsumeOptions, DurableMessage } from './bus.js';
import { Semaphore } from './semaphore.js';

export interface BoundedConsumeOptions extends ConsumeOptions {
  /** Handlers running at once; while all are busy the consumer takes no message (other replicas get them). */
  readonly concurrency: number;
  /** Clock for `deliveredAt` (default `Date.now`): a caller with an injected clock keeps one notion of time. */
  readonly now?: () => number;
  /** A handler that threw: its message is nak'd (as `consume` does) and the error reported here. */
  readonly onError?: (error: unknown, msg: DurableMessage) => void;
}

export interface BoundedDelivery {
  /** When the message was delivered, before it waited for a slot: its ackWait runs from here. */
  readonly deliveredAt: number;
}

/** Must settle `msg` (ack, nak, term) or leave it to the ackWait; it runs while the consumer takes the next one. */
export type BoundedHandler = (msg: DurableMessage, delivery: BoundedDelivery) => Promise<void>;

export interface BoundedConsumer extends Consumer {
  /** Handlers running right now. */
  readonly running: number;
}

/**
 * A durable consumer running up to `concurrency` handlers at once. The bus calls a consumer's handler one message
 * at a time; this one returns as soon as the message has a slot, and holds the bus while none is free, so the
 * replica pulls no more than it can work on. A message that gets its slot after `stop()` began is nak'd at once:
 * another replica takes it without waiting for the ackWait. `stop()` stops the consumer and waits for the handlers
 * that are running.
 */
export async function consumeBounded(
  bus: Pick<Bus, 'consume'>,
  stream: string,
  durable: string,
  handler: BoundedHandler,
  opts: BoundedConsumeOptions,
): Promise<BoundedConsumer> {
  const { concurrency, now = Date.now, onError, ...consumeOptions } = opts;
  const slots = new Semaphore(concurrency);
  const running = new Set<Promise<void>>();
  let stopped = false;

  const run = async (msg: DurableMessage, delivery: BoundedDelivery): Promise<void> => {
    try {
      await handler(msg, delivery);
    } catch (error) {
      onError?.(error, msg);
      await msg.nak().catch(() => undefined);
    }
  };

  const consumer = await bus.consume(
    stream,
    durable,
    async (msg) => {
      const delivery = { deliveredAt: now() };
      await slots.acquire();
      if (stopped) {
        slots.release();
        await msg.nak().catch(() => undefined);
        return;
      }
      const task = run(msg, delivery).finally(() => {
        slots.release();
        running.delete(task);
      });
      running.add(task);
    },
    consumeOptions,
  );

  return {
    stream: consumer.stream,
    durable: consumer.durable,
    get running() {
      return running.size;
    },
    async stop() {
      stopped = true;
      await consumer.stop();
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
