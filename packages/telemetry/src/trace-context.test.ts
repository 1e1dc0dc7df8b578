import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { extractTraceContext, injectTraceContext } from './trace-context.js';

const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

describe('traceparent helpers (no SDK started)', () => {
  it('inject writes the W3C traceparent of the span in the context', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, parent);
    expect(injectTraceContext({ 'Nats-Msg-Id': 'r1' }, ctx)).toEqual({
      'Nats-Msg-Id': 'r1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
  });

  it('inject writes nothing without a valid span', () => {
    expect(injectTraceContext({}, ROOT_CONTEXT)).toEqual({});
  });

  it('extract returns a context whose remote parent is the injected span', () => {
    const headers = injectTraceContext({}, trace.setSpanContext(ROOT_CONTEXT, parent));
    const extracted = trace.getSpanContext(extractTraceContext(headers, ROOT_CONTEXT));
    expect(extracted).toEqual({ ...parent, isRemote: true });
  });

  it('extract matches header names case-insensitively and takes the first of repeated values', () => {
    const value = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    expect(trace.getSpanContext(extractTraceContext({ TraceParent: value }, ROOT_CONTEXT))?.spanId).toBe(parent.spanId);
    expect(trace.getSpanContext(extractTraceContext({ traceparent: [value, 'junk'] }, ROOT_CONTEXT))?.traceFlags).toBe(TraceFlags.NONE);
  });

  it('extract leaves the base context alone for a missing or malformed header', () => {
    expect(extractTraceContext({}, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
    for (const bad of ['garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-zz-01']) {
      expect(trace.getSpanContext(extractTraceContext({ traceparent: bad }, ROOT_CONTEXT))).toBeUndefined();
    }
  });
});
