import { describe, expect, it } from '@jest/globals';
import { Semaphore } from './semaphore.js';

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
