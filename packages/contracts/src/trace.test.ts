import { describe, expect, it } from '@jest/globals';
import { ERROR_CODES, domainErrorCode, isErrorCode } from './errors.js';
import { isTraceparent, MSG_ID_HEADER, TRACEPARENT_HEADER } from './trace.js';

describe('trace context', () => {
  it('names the W3C header and the JetStream dedup header', () => {
    expect(TRACEPARENT_HEADER).toBe('traceparent');
    expect(MSG_ID_HEADER).toBe('Nats-Msg-Id');
  });

  it('recognises well-formed traceparent values only', () => {
    expect(isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(true);
    expect(isTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBe(false);
    expect(isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBe(false);
    expect(isTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(false);
    expect(isTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01')).toBe(false);
    expect(isTraceparent('garbage')).toBe(false);
  });
});

describe('error codes', () => {
  it('maps every code to itself and recognises only those', () => {
    for (const [key, value] of Object.entries(ERROR_CODES)) expect(key).toBe(value);
    expect(isErrorCode('NOT_FOUND')).toBe(true);
    expect(isErrorCode('not_found')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });

  it('keeps the code of a typed domain failure, and none for INTERNAL, untyped errors or non-errors', () => {
    expect(domainErrorCode(Object.assign(new Error('x'), { code: 'CONFLICT' }))).toBe('CONFLICT');
    expect(domainErrorCode(Object.assign(new Error('x'), { code: 'INTERNAL' }))).toBeUndefined();
    expect(domainErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(domainErrorCode(new Error('x'))).toBeUndefined();
    expect(domainErrorCode(null)).toBeUndefined();
  });
});
