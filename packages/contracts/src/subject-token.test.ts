import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { deviceIdFromParts } from './device-id.js';
import { SubjectTokenError } from './errors.js';
import { decodeSubjectToken, encodeSubjectToken } from './subject-token.js';

// Any well-formed Unicode text (no lone surrogates). Cheaper to warm up than fast-check's 'binary' unit.
// Weighted towards the characters that matter to subjects and ids.
const codePoint = fc.oneof(
  fc.constantFrom('.', '*', '>', ' ', '%', '-', '_', '\t', '\u0000'),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)),
);
const anyText = (maxLength = 40) => fc.string({ unit: codePoint, maxLength });

const SAFE_TOKEN = /^[A-Za-z0-9_-]+$/;

describe('encodeSubjectToken / decodeSubjectToken', () => {
  it('leaves ordinary device ids readable', () => {
    expect(encodeSubjectToken('00259E-HG8245H-4857544300000001')).toBe('00259E-HG8245H-4857544300000001');
  });

  it.each([
    ['dots', 'a.b.c', 'a_2Eb_2Ec'],
    ['spaces', 'a b', 'a_20b'],
    ['star', '*', '_2A'],
    ['gt', '>', '_3E'],
    ['percent (escaped device ids)', '00D09E-Home%2DGateway-1', '00D09E-Home_252DGateway-1'],
    ['underscore', 'a_b', 'a_5Fb'],
    ['unicode', 'é', '_C3_A9'],
    ['emoji', '😀', '_F0_9F_98_80'],
    ['empty', '', '_'],
  ])('encodes %s into one safe token and back', (_label, id, token) => {
    expect(encodeSubjectToken(id)).toBe(token);
    expect(decodeSubjectToken(token)).toBe(id);
  });

  it('round-trips any well-formed string into a single safe token', () => {
    fc.assert(
      fc.property(anyText(300), (id) => {
        const token = encodeSubjectToken(id);
        expect(token).toMatch(SAFE_TOKEN);
        expect(decodeSubjectToken(token)).toBe(id);
      }),
      { numRuns: 1_000 },
    );
  });

  it('round-trips hostile device ids built from hostile parts', () => {
    const hostile = fc.oneof(
      fc.constantFrom('', '.', ' ', '*', '>', '%', '-', '_', 'a.b', '>*', '\u0000', '\t', 'ü', '💥', '\u202E'),
      anyText(64),
    );
    fc.assert(
      fc.property(hostile, hostile, hostile, (oui, pc, sn) => {
        const id = deviceIdFromParts(oui, pc, sn);
        const token = encodeSubjectToken(id);
        expect(token).toMatch(SAFE_TOKEN);
        expect(decodeSubjectToken(token)).toBe(id);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips very long ids', () => {
    const id = 'Ω.x-'.repeat(5_000);
    const token = encodeSubjectToken(id);
    expect(token).toMatch(SAFE_TOKEN);
    expect(decodeSubjectToken(token)).toBe(id);
  });

  it('gives distinct ids distinct tokens', () => {
    fc.assert(
      fc.property(anyText(), anyText(), (a, b) => {
        fc.pre(a !== b);
        expect(encodeSubjectToken(a)).not.toBe(encodeSubjectToken(b));
      }),
    );
  });

  it('refuses strings with lone surrogates', () => {
    expect(() => encodeSubjectToken('a\uD800b')).toThrow(SubjectTokenError);
    expect(() => encodeSubjectToken('\uDC00')).toThrow(SubjectTokenError);
  });

  it('refuses tokens it could not have produced', () => {
    // wildcard / separator, bad escapes, non-canonical escape of a safe char, invalid UTF-8, non-ASCII
    for (const bad of ['a.b', '*', '>', '_zz', '_4', 'a_', '_41', '_FF', '_C3', 'é', 'a b', '__']) {
      expect(() => decodeSubjectToken(bad)).toThrow(SubjectTokenError);
    }
  });

  it('reports the failing input and a code', () => {
    try {
      decodeSubjectToken('a.b');
      throw new Error('expected a SubjectTokenError');
    } catch (error) {
      expect(error).toBeInstanceOf(SubjectTokenError);
      expect((error as SubjectTokenError).code).toBe('INVALID_SUBJECT_TOKEN');
      expect((error as SubjectTokenError).input).toBe('a.b');
    }
  });
});
