import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CwmpValueError, fromTyped, toTyped, validateValue, xsdTypeFromLocalName } from './index.js';

describe('toTyped', () => {
  test('long/unsignedLong are bigint, never Number (no precision loss beyond 2^53)', () => {
    expect(toTyped({ type: 'unsignedLong', value: '18446744073709551615' })).toBe(18446744073709551615n);
    expect(toTyped({ type: 'long', value: '-9223372036854775808' })).toBe(-9223372036854775808n);
    expect(toTyped({ type: 'unsignedLong', value: '9007199254740993' })).toBe(9007199254740993n);
  });

  test('int/unsignedInt are numbers; whitespace around them is tolerated', () => {
    expect(toTyped({ type: 'int', value: ' -12 ' })).toBe(-12);
    expect(toTyped({ type: 'unsignedInt', value: '4294967295' })).toBe(4294967295);
  });

  test('booleans accept 1/0/true/false', () => {
    expect(['1', '0', 'true', 'false', 'TRUE'].map((value) => toTyped({ type: 'boolean', value }))).toEqual([
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  test('base64 and hexBinary become Buffers; line-wrapped base64 accepted', () => {
    expect(toTyped({ type: 'base64', value: '3q2+\n7w==' })).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(toTyped({ type: 'hexBinary', value: 'DEADbeef' })).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  });

  test('strings are untouched, dateTime and decimal stay lexical', () => {
    expect(toTyped({ type: 'string', value: '  x ' })).toBe('  x ');
    expect(toTyped({ type: 'dateTime', value: '0001-01-01T00:00:00Z' })).toBe('0001-01-01T00:00:00Z');
    expect(toTyped({ type: 'decimal', value: '12345678901234567890.5' })).toBe('12345678901234567890.5');
  });

  test.each([
    ['int', '2147483648'],
    ['unsignedInt', '-1'],
    ['unsignedInt', '4294967296'],
    ['long', '9223372036854775808'],
    ['unsignedLong', '18446744073709551616'],
    ['boolean', 'yes'],
    ['dateTime', '2024-13-01T00:00:00Z'],
    ['dateTime', 'yesterday'],
    ['base64', 'abc'],
    ['hexBinary', 'abc'],
    ['decimal', '1e5'],
  ] as const)('invalid %s %j throws CwmpValueError', (type, value) => {
    expect(validateValue(type, value)).toBe(false);
    expect(() => toTyped({ type, value })).toThrow(CwmpValueError);
  });
});

describe('validateValue', () => {
  test('dateTime: zone optional, fraction allowed, Unknown Time valid', () => {
    for (const v of ['2024-06-03T08:41:07Z', '2024-06-03T08:41:07.512+02:00', '2024-05-17T22:04:51', '0001-01-01T00:00:00Z']) {
      expect(validateValue('dateTime', v)).toBe(true);
    }
  });
});

describe('fromTyped', () => {
  test('bigint round-trips through the lexical form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        const pv = fromTyped('Device.X', n, 'unsignedLong');
        expect(pv).toEqual({ name: 'Device.X', value: n.toString(), type: 'unsignedLong' });
        expect(toTyped(pv)).toBe(n);
      }),
    );
  });

  test('booleans as words or digits', () => {
    expect(fromTyped('a', true, 'boolean').value).toBe('true');
    expect(fromTyped('a', false, 'boolean', { booleanAsDigit: true }).value).toBe('0');
  });

  test('Dates without milliseconds unless asked', () => {
    const d = new Date('2024-06-03T08:41:07.512Z');
    expect(fromTyped('a', d, 'dateTime').value).toBe('2024-06-03T08:41:07Z');
    expect(fromTyped('a', d, 'dateTime', { dateTimeMilliseconds: true }).value).toBe('2024-06-03T08:41:07.512Z');
  });

  test('Buffers as base64 or hex', () => {
    expect(fromTyped('a', Buffer.from([1, 2, 255]), 'base64').value).toBe('AQL/');
    expect(fromTyped('a', Buffer.from([1, 2, 255]), 'hexBinary').value).toBe('0102ff');
  });

  test('values that do not fit their type throw CwmpValueError', () => {
    expect(() => fromTyped('a', 2 ** 32, 'unsignedInt')).toThrow(CwmpValueError);
    expect(() => fromTyped('a', 1.5, 'int')).toThrow(CwmpValueError);
    expect(() => fromTyped('a', 2n ** 64n, 'unsignedLong')).toThrow(CwmpValueError);
    expect(() => fromTyped('a', 'x', 'int')).toThrow(CwmpValueError);
    expect(() => fromTyped('a', new Date('nope'), 'dateTime')).toThrow(CwmpValueError);
  });
});

test('xsdTypeFromLocalName maps base64Binary to base64 and rejects unknown types', () => {
  expect(xsdTypeFromLocalName('base64Binary')).toBe('base64');
  expect(xsdTypeFromLocalName('base64')).toBe('base64');
  expect(xsdTypeFromLocalName('unsignedLong')).toBe('unsignedLong');
  expect(xsdTypeFromLocalName('float')).toBeUndefined();
});
