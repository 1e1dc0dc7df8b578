import { ERROR_CODES, TRACEPARENT_HEADER, TRACESTATE_HEADER, encodeJson } from '@acs/contracts';
import { BusReply, type BusHeaders, type BusPayload } from './bus.js';

export function toBytes(payload: BusPayload): Uint8Array {
  return payload instanceof Uint8Array ? payload : encodeJson(payload);
}

/** The reply a `serve` handler's failure turns into: a typed error payload, never the stack. */
export function internalErrorReply(): Uint8Array {
  return encodeJson({ ok: false, error: { code: ERROR_CODES.INTERNAL, message: 'internal error' } });
}

/** Splits a handler's return value into bytes and headers, inheriting the request's trace context. */
export function replyParts(result: BusPayload | BusReply, request: BusHeaders): { data: Uint8Array; headers: BusHeaders } {
  const own = result instanceof BusReply ? result.headers : {};
  const data = toBytes(result instanceof BusReply ? result.payload : result);
  const headers: Record<string, string> = {};
  for (const name of [TRACEPARENT_HEADER, TRACESTATE_HEADER]) {
    const value = request[name];
    if (value !== undefined) headers[name] = value;
  }
  return { data, headers: { ...headers, ...own } };
}
