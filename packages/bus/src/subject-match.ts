import type { ConsumeOptions } from './bus.js';
import { BusConfigError } from './errors.js';

// NATS subject semantics: `.`-separated tokens, `*` matches one token, `>` (last) matches one or more.

export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/** True when some subject matches both patterns (work-queue consumers must not overlap). */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const u = x[i];
    const v = y[i];
    if (u === '>' || v === '>') return u !== undefined && v !== undefined;
    if (u === undefined || v === undefined) return false;
    if (u !== '*' && v !== '*' && u !== v) return false;
  }
  return true;
}

/** A publishable subject: non-empty tokens, no wildcards, no whitespace. */
export function isValidSubject(subject: string): boolean {
  return /^[^\s.*>]+(?:\.[^\s.*>]+)*$/.test(subject);
}

/** A subscribable pattern: like a subject, but `*` tokens anywhere and `>` as the last token. */
export function isValidPattern(pattern: string): boolean {
  const tokens = pattern.split('.');
  return tokens.every((t, i) => (t === '>' ? i === tokens.length - 1 : t === '*' || /^[^\s.*>]+$/.test(t)));
}

/** Refuses consumer settings no adapter can honour, before anything is created. */
export function checkConsumeOptions(opts: ConsumeOptions): void {
  if (!Number.isFinite(opts.ackWaitMs) || opts.ackWaitMs <= 0) throw new BusConfigError(`ackWaitMs must be > 0, got ${opts.ackWaitMs}`);
  if (!Number.isInteger(opts.maxDeliver) || opts.maxDeliver < 1) throw new BusConfigError(`maxDeliver must be an integer >= 1, got ${opts.maxDeliver}`);
  if (opts.filterSubject !== undefined && !isValidPattern(opts.filterSubject)) throw new BusConfigError(`invalid filterSubject ${opts.filterSubject}`);
}
