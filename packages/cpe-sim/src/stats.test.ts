import { describe, expect, it } from '@jest/globals';
import type { SessionResult } from './cpe.js';
import { AcsAuthError } from './errors.js';
import { percentile, summarize } from './stats.js';

const result = (ok: boolean, durationMs: number, faults: number[] = []): SessionResult => ({
  ok,
  events: [],
  rpcs: [],
  faults,
  retryCount: 0,
  startedAt: 0,
  durationMs,
  httpRequests: 2,
  ...(ok ? {} : { error: new AcsAuthError('no') }),
});

describe('summary', () => {
  it('uses nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('counts sessions, rate, faults and errors', () => {
    const s = summarize([result(true, 10, [9005]), result(true, 30), result(false, 20, [9005, 9003])], 1500);
    expect(s).toEqual({
      sessions: 3,
      ok: 2,
      failed: 1,
      wallMs: 1500,
      sessionsPerSecond: 2,
      latencyMs: { p50: 20, p95: 30, p99: 30, max: 30 },
      faults: { '9003': 1, '9005': 2 },
      errors: { AUTH_FAILED: 1 },
    });
  });
});
