import { describe, expect, it } from '@jest/globals';
import { retryWindowS } from './cpe.js';

describe('session retry back-off (cwmp-protocol.md §1.7)', () => {
  it('matches the table for the default m=5, k=2.0', () => {
    expect(retryWindowS(1)).toEqual([5, 10]);
    expect(retryWindowS(2)).toEqual([10, 20]);
    expect(retryWindowS(6)).toEqual([160, 320]);
    expect(retryWindowS(9)).toEqual([1280, 2560]);
    expect(retryWindowS(10)).toEqual([2560, 5120]);
    expect(retryWindowS(25)).toEqual([2560, 5120]);
  });

  it('follows CWMPRetryMinimumWaitInterval and CWMPRetryIntervalMultiplier', () => {
    expect(retryWindowS(1, 30, 1500)).toEqual([30, 45]);
    expect(retryWindowS(3, 1, 3000)).toEqual([9, 27]);
  });
});
