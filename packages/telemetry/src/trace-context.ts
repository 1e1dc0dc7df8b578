import { context as otelContext, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** A plain header map, as NATS headers or HTTP headers are turned into. */
export type HeaderMap = Record<string, string>;

// A fixed W3C propagator rather than the global one: the wire format between our services must
// not depend on whether (or how) a process started the SDK.
const propagator = new W3CTraceContextPropagator();

const setter: TextMapSetter<HeaderMap> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<Readonly<Record<string, string | readonly string[] | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    // Header names are case-insensitive; NATS keeps them as sent.
    const found = Object.keys(carrier).find((k) => k.toLowerCase() === key);
    const value = found === undefined ? undefined : carrier[found];
    return typeof value === 'string' ? value : value?.[0];
  },
};

/**
 * Writes `traceparent` (and `tracestate`) for `ctx` (default: the active context) into
 * `headers`, and returns it. Writes nothing when there is no valid span in `ctx`.
 */
export function injectTraceContext(headers: HeaderMap = {}, ctx: Context = otelContext.active()): HeaderMap {
  propagator.inject(ctx, headers, setter);
  return headers;
}

/**
 * A context whose remote parent is the span named by `traceparent` in `headers`; `base` (default:
 * the active context) unchanged when the header is missing or malformed. Start spans in it with
 * `tracer.startActiveSpan(name, {}, ctx, fn)` or run code in it with `context.with(ctx, fn)`.
 */
export function extractTraceContext(headers: Readonly<Record<string, string | readonly string[] | undefined>>, base: Context = otelContext.active()): Context {
  return propagator.extract(base, headers, getter);
}
