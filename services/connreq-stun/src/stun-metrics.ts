import { createMetrics, type Metrics } from '@acs/telemetry';
import type { StunServerCounters } from './stun-server.js';

/**
 * The STUN server's counters as OpenTelemetry counters, added every `intervalMs` rather than per datagram: the
 * keep-alive path is ~20 µs, and an instrument call with attributes on each would be a measurable part of it.
 */
export function exportStunCounters(counters: Readonly<StunServerCounters>, options: { metrics?: Metrics; intervalMs?: number } = {}): { stop(): void } {
  const metrics = options.metrics ?? createMetrics('acs.connreq-stun');
  const requests = metrics.counter('acs.stun.requests', { description: 'STUN datagrams received, by result (answered, unauthorized, ignored)' });
  const recorded = metrics.counter('acs.stun.bindings.recorded', { description: 'keep-alives of known devices recorded (most cost no kv write)' });
  const changes = metrics.counter('acs.stun.bindings.changes', { description: 'bindings new or moved, announced as evt.stun.<id>.binding' });
  const failures = metrics.counter('acs.stun.failures', { description: 'keep-alives answered but not recorded: kv or registry lookup failed or shed' });
  let last: StunServerCounters = { ...counters };
  const flush = () => {
    const now = { ...counters };
    const unauthorized = now.unauthorized - last.unauthorized;
    const ignored = now.ignored - last.ignored;
    requests.add(now.requests - last.requests - unauthorized - ignored, { result: 'answered' });
    requests.add(unauthorized, { result: 'unauthorized' });
    requests.add(ignored, { result: 'ignored' });
    recorded.add(now.recorded - last.recorded);
    changes.add(now.changes - last.changes);
    failures.add(now.failures - last.failures);
    last = now;
  };
  const timer = setInterval(flush, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
