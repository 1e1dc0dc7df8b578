import { describe, expect, it } from '@jest/globals';
import { createDevicePacer } from './device-pacer.js';

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
