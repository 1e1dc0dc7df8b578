/** W3C Trace Context header carried in NATS message headers so one trace spans services. */
export const TRACEPARENT_HEADER = 'traceparent';
/** W3C Trace Context vendor state, carried beside `traceparent` when present. */
export const TRACESTATE_HEADER = 'tracestate';
/** JetStream de-duplication header; our commands set it to their `requestId`. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

// W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case hex, all-zero ids invalid.
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** True when `value` is a well-formed version-00 `traceparent` (ids not all zero). */
export function isTraceparent(value: string): boolean {
  const m = TRACEPARENT_RE.exec(value);
  if (!m) return false;
  const [, version, traceId, parentId] = m;
  return version !== 'ff' && !/^0+$/.test(traceId ?? '') && !/^0+$/.test(parentId ?? '');
}
