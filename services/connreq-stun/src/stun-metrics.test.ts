import { describe, expect, it } from '@jest/globals';
import type { Metrics } from '@acs/telemetry';
import { exportStunCounters } from './stun-metrics.js';
import type { StunServerCounters } from './stun-server.js';

describe('STUN metrics', () => {
  it('adds what the counters moved by since the last flush, answered requests apart from refused and dropped ones', () => {
    const added: Array<[string, number, unknown]> = [];
    const metrics: Metrics = {
      counter: (name) => ({ add: (value = 1, attributes) => added.push([name, value, attributes]) }),
      histogram: () => ({ record: () => undefined }),
      upDownCounter: () => ({ add: () => undefined }),
    };
    const counters: StunServerCounters = { requests: 10, ignored: 1, unauthorized: 2, recorded: 5, changes: 1, failures: 0 };
    const exported = exportStunCounters(counters, { metrics, intervalMs: 60_000 });
    Object.assign(counters, { requests: 25, ignored: 2, unauthorized: 4, recorded: 15, changes: 3, failures: 1 });
    exported.stop();
    expect(added).toEqual([
      ['acs.stun.requests', 12, { result: 'answered' }],
      ['acs.stun.requests', 2, { result: 'unauthorized' }],
      ['acs.stun.requests', 1, { result: 'ignored' }],
      ['acs.stun.bindings.recorded', 10, undefined],
      ['acs.stun.bindings.changes', 2, undefined],
      ['acs.stun.failures', 1, undefined],
    ]);
  });
});
