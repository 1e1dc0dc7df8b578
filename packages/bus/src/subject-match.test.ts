import { describe, expect, it } from '@jest/globals';
import { BusConfigError } from './errors.js';
import { checkConsumeOptions, isValidPattern, isValidSubject, patternsOverlap, subjectMatches } from './subject-match.js';

describe('subjectMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*', 'a', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['*.b.>', 'x.b.y', true],
    ['>', 'anything.at.all', true],
    ['a.b.c', 'a.b', false],
  ])('%s vs %s => %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('patternsOverlap', () => {
  it.each([
    ['acs.cmd.poke', 'acs.cmd.connreq.http', false],
    ['acs.cmd.connreq.*', 'acs.cmd.connreq.udp', true],
    ['acs.cmd.>', 'acs.cmd.poke', true],
    ['acs.cmd.>', 'acs.cmd', false],
    ['a.*.c', 'a.b.*', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'b.>', false],
    ['>', 'x', true],
  ])('%s and %s => %s (both ways)', (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });
});

describe('subject syntax', () => {
  it('accepts publishable subjects only', () => {
    for (const ok of ['a', 'a.b', 'acs.evt.inform.00259E-X_2E1', '_INBOX.abc']) expect(isValidSubject(ok)).toBe(true);
    for (const bad of ['', '.a', 'a.', 'a..b', 'a.*', 'a.>', 'a b', 'a.\tb']) expect(isValidSubject(bad)).toBe(false);
  });

  it('accepts wildcards in patterns, with > last only', () => {
    for (const ok of ['a.*', '*', '>', 'a.*.c.>']) expect(isValidPattern(ok)).toBe(true);
    for (const bad of ['a.>.c', '', 'a..b', 'a.b*', 'a >']) expect(isValidPattern(bad)).toBe(false);
  });
});

describe('checkConsumeOptions', () => {
  it('refuses settings no adapter can honour', () => {
    expect(() => checkConsumeOptions({ ackWaitMs: 0, maxDeliver: 1 })).toThrow(BusConfigError);
    expect(() => checkConsumeOptions({ ackWaitMs: 100, maxDeliver: 0 })).toThrow(BusConfigError);
    expect(() => checkConsumeOptions({ ackWaitMs: 100, maxDeliver: 1.5 })).toThrow(BusConfigError);
    expect(() => checkConsumeOptions({ ackWaitMs: 100, maxDeliver: 1, filterSubject: 'a..b' })).toThrow(BusConfigError);
    expect(() => checkConsumeOptions({ ackWaitMs: 100, maxDeliver: 3, filterSubject: 'a.*' })).not.toThrow();
  });
});
