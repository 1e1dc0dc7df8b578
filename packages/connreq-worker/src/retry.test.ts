import { describe, expect, it } from '@jest/globals';
import { backoffMs } from './retry.js';

describe('backoffMs', () => {
  const retry = { baseMs: 500, maxMs: 5_000 };

  it('doubles from baseMs up to maxMs, with equal jitter: half fixed, half random', () => {
    expect([1, 2, 3, 4, 5, 6].map((tries) => backoffMs(retry, tries, () => 0))).toEqual([250, 500, 1_000, 2_000, 2_500, 2_500]);
    expect([1, 2, 3, 4, 5, 6].map((tries) => backoffMs(retry, tries, () => 1))).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(backoffMs(retry, 2, () => 0.5)).toBe(750);
  });
});
