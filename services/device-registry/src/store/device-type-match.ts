import type { DeviceType } from './types.js';

/**
 * `*` any run, `?` one character, everything else literal; anchored at both ends.
 * Greedy with one backtrack point (the last `*`): O(pattern × subject) at worst, never exponential
 * like a regex built from the glob (`*a*a*a…b` against `aaaa…` took a regex 27 s).
 */
export function globMatches(glob: string, subject: string): boolean {
  const g = [...glob];
  const s = [...subject];
  let gi = 0;
  let si = 0;
  let star = -1;
  let resume = 0;
  while (si < s.length) {
    if (gi < g.length && (g[gi] === '?' || (g[gi] !== '*' && g[gi] === s[si]))) {
      gi++;
      si++;
    } else if (gi < g.length && g[gi] === '*') {
      star = gi++;
      resume = si;
    } else if (star >= 0) {
      gi = star + 1;
      si = ++resume;
    } else {
      return false;
    }
  }
  while (gi < g.length && g[gi] === '*') gi++;
  return gi === g.length;
}

function criteria(type: DeviceType): number {
  const { oui, productClass, serialPattern } = type.match;
  return (oui !== undefined ? 1 : 0) + (productClass !== undefined ? 1 : 0) + (serialPattern !== undefined ? 1 : 0);
}

/** Whether every criterion the type states matches; a type without criteria matches only as catch-all. */
export function deviceTypeMatches(type: DeviceType, oui: string, productClass: string, serialNumber: string): boolean {
  const { match } = type;
  if (criteria(type) === 0) return type.catchAll;
  if (match.oui !== undefined && match.oui.toUpperCase() !== oui.toUpperCase()) return false;
  if (match.productClass !== undefined && match.productClass !== productClass) return false;
  if (match.serialPattern !== undefined && !globMatches(match.serialPattern, serialNumber)) return false;
  return true;
}

/**
 * Most specific wins: non-catch-all before catch-all, then more criteria, then higher priority,
 * then the older type (stable across calls).
 */
export function pickDeviceType(types: readonly DeviceType[], oui: string, productClass: string, serialNumber: string): DeviceType | null {
  const rank = (t: DeviceType) => [t.catchAll && criteria(t) === 0 ? 0 : 1, criteria(t), t.priority, -t.createdAt] as const;
  let best: DeviceType | null = null;
  for (const t of types) {
    if (!deviceTypeMatches(t, oui, productClass, serialNumber)) continue;
    if (best === null) {
      best = t;
      continue;
    }
    const [a, b] = [rank(t), rank(best)];
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      if ((a[i] as number) > (b[i] as number)) best = t;
      break;
    }
  }
  return best;
}
