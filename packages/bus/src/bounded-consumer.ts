import type { Bus, ConsumeOptions, Consumer, DurableMessage } from './bus.js';
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
  /**
   * Aborted by stop() once this replica can receive nothing more. A handler that is only waiting (a back-off, a
   * pacing interval) should then hand its message back with `nak()`: another replica takes it at once. Earlier,
   * a nak'd message could be redelivered into this replica's closing pull and sit there until its ackWait.
   */
  readonly stopping: AbortSignal;
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
 * replica pulls no more than it can work on. `stop()` stops the consumer, hands back (nak, no delay) what had no
 * slot yet, then aborts `stopping` and resolves once the running handlers have returned.
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
  const stopping = new AbortController();
  // Messages without a slot when stop() began; nak'd only once the consumer is closed.
  const handBack: DurableMessage[] = [];
  const stopRequest = new AbortController();
  let stopped: Promise<void> | undefined;

  /** Resolves true with a slot, or false when stop() began first (the slot, once handed over, is given back). */
  const slotOrStop = (): Promise<boolean> => {
    if (stopRequest.signal.aborted) return Promise.resolve(false);
    const slot = slots.acquire();
    return new Promise((resolve) => {
      const onStop = () => {
        void slot.then(() => slots.release());
        resolve(false);
      };
      stopRequest.signal.addEventListener('abort', onStop, { once: true });
      void slot.then(() => {
        stopRequest.signal.removeEventListener('abort', onStop);
        resolve(true);
      });
    });
  };

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
      const delivery = { deliveredAt: now(), stopping: stopping.signal };
      // Holding here is what bounds the replica; stop() must not wait behind it.
      const got = await slotOrStop();
      if (!got || stopRequest.signal.aborted) {
        if (got) slots.release();
        handBack.push(msg);
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

  const stop = async (): Promise<void> => {
    stopRequest.abort();
    await consumer.stop();
    await Promise.all(handBack.splice(0).map((msg) => msg.nak().catch(() => undefined)));
    stopping.abort();
    while (running.size > 0) await Promise.allSettled([...running]);
  };

  return {
    stream: consumer.stream,
    durable: consumer.durable,
    get running() {
      return running.size;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
