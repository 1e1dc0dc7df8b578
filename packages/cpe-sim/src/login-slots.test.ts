import { describe, expect, it } from '@jest/globals';
import { createLoginSlots } from './login-slots.js';

describe('login slots', () => {
  it('grants at most max at once, the rest in FIFO order as slots are released', async () => {
    const slots = createLoginSlots(2);
    const order: string[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    const c = slots.acquire().then((release) => (order.push('c'), release));
    const d = slots.acquire().then((release) => (order.push('d'), release));
    a();
    a(); // a second call of the same release frees nothing more
    const releaseC = await c;
    expect(order).toEqual(['c']);
    b();
    (await d)();
    releaseC();
    expect(order).toEqual(['c', 'd']);
    // Everything released: two immediate grants again.
    await Promise.all([slots.acquire(), slots.acquire()]);
  });

  it('a waiter whose signal aborts leaves the queue with ABORTED', async () => {
    const slots = createLoginSlots(1);
    const held = await slots.acquire();
    const abort = new AbortController();
    const waiting = slots.acquire(abort.signal);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(slots.acquire(abort.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    held();
    const next = await slots.acquire();
    next();
    expect(() => createLoginSlots(0)).toThrow(RangeError);
  });
});
