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
