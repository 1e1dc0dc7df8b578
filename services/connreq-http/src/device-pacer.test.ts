import { describe, expect, it } from '@jest/globals';
import { createDevicePacer } from './device-pacer.js';
import { Semaphore } from './semaphore.js';

describe('createDevicePacer', () => {
  it('allows a device at once, then only the interval after its latest activity', () => {
    const pacer = createDevicePacer(1_000);
    expect(pacer.nextAllowed('a')).toBe(-Infinity);
    pacer.mark('a', 10_000);
    pacer.mark('a', 10_400); // the request ended
    expect(pacer.nextAllowed('a')).toBe(11_400);
    // An older mark (a request of another command ending late in the clock's past) never moves it back.
    pacer.mark('a', 10_200);
    expect(pacer.nextAllowed('a')).toBe(11_400);
    expect(pacer.nextAllowed('b')).toBe(-Infinity);
  });

  it('sweeps devices whose interval ran out once many are tracked', () => {
    const pacer = createDevicePacer(100);
    for (let i = 0; i < 10_000; i++) pacer.mark(`d${i}`, 0);
    pacer.mark('late', 1_000);
    expect(pacer.size).toBe(1);
  });
});

describe('Semaphore', () => {
  it('hands slots out first come, first served, never more than its size', async () => {
    const sem = new Semaphore(2);
    await sem.acquire();
    await sem.acquire();
    expect(sem.inUse).toBe(2);
    const order: string[] = [];
    const third = sem.acquire().then(() => order.push('third'));
    const fourth = sem.acquire().then(() => order.push('fourth'));
    await Promise.resolve();
    expect(order).toEqual([]);
    sem.release();
    await third;
    expect(order).toEqual(['third']);
    expect(sem.inUse).toBe(2);
    sem.release();
    await fourth;
    sem.release();
    sem.release();
    expect(sem.inUse).toBe(0);
    sem.release();
    expect(sem.inUse).toBe(0);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
