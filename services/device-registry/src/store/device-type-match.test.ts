import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { globMatches } from './device-type-match.js';

describe('globMatches', () => {
  it.each([
    ['SN*', 'SN123', true],
    ['SN*', 'XSN123', false],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['LAB.??', 'LAB.42', true],
    ['LAB.??', 'LABX42', false],
    ['LAB.??', 'LAB.4', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['*.*', 'a.b', true],
    ['(x)+[y]', '(x)+[y]', true],
    ['?', '😀', true],
  ])('%j against %j is %s', (glob, subject, expected) => {
    expect(globMatches(glob, subject)).toBe(expected);
  });

  it('agrees with an anchored regex on arbitrary globs and subjects', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '*', '?');
    const toRegExp = (g: string) => new RegExp(`^${[...g].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c === '.' ? '\\.' : c)).join('')}$`, 's');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 10 }), (glob, subject) => {
        expect(globMatches(glob, subject)).toBe(toRegExp(glob).test(subject));
      }),
    );
  });

  it('answers the pathological pattern a backtracking regex takes seconds on', () => {
    // '*a' × 12 then 'b' against 32 'a's: exponential for a regex, a few thousand steps here.
    const glob = `${'*a'.repeat(12)}b`;
    const subject = 'a'.repeat(64);
    expect(globMatches(glob, subject)).toBe(false);
    expect(globMatches(`${'*a'.repeat(12)}*`, subject)).toBe(true);
  });
});
