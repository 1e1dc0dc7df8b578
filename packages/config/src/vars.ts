import { z } from 'zod';

// Secret-ness must survive `.optional()` / `.default()` wrappers, so it is kept by schema identity
// and looked up through the wrapper chain (see isSecret).
const secrets = new WeakSet<z.ZodType>();

function parsed<T>(expected: string, parse: (raw: string) => T | undefined): z.ZodPipe<z.ZodString, z.ZodTransform<Awaited<T>, string>> {
  return z.string().transform((raw, ctx) => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return value;
  });
}

function describeRange(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` ${min}-${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

/** A base-10 integer, optionally bounded: `CWMP_PORT: expected an integer 1-65535`. */
export function intVar(options: { min?: number; max?: number } = {}) {
  const { min, max } = options;
  return parsed(`expected an integer${describeRange(min, max)}`, (raw) => {
    if (!/^[-+]?\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) return undefined;
    return n;
  });
}

/** A TCP/UDP port number, 1-65535. */
export function portVar() {
  return intVar({ min: 1, max: 65_535 });
}

/** `true`/`false`/`1`/`0`, case-insensitive. Anything else is an error rather than a silent `false`. */
export function boolVar() {
  return parsed('expected true, false, 1 or 0', (raw) => {
    const v = raw.toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return undefined;
  });
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A duration in whole milliseconds: a bare integer is milliseconds (the unit in the variable's
 * name, `SESSION_TIMEOUT_MS`); `500ms`, `30s`, `5m`, `1.5h`, `1d` are accepted for convenience.
 */
export function durationVar(options: { min?: number; max?: number } = {}) {
  const { min, max } = options;
  return parsed(`expected a duration in ms${describeRange(min, max)} (an integer, or a number with ms/s/m/h/d)`, (raw) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw);
    if (m === null) return undefined;
    const [, amount = '', unit] = m;
    if (unit === undefined && amount.includes('.')) return undefined;
    const ms = Math.round(Number(amount) * UNIT_MS[(unit ?? 'ms') as keyof typeof UNIT_MS]);
    if (!Number.isSafeInteger(ms) || (min !== undefined && ms < min) || (max !== undefined && ms > max)) return undefined;
    return ms;
  });
}

/** A comma-separated list; items are trimmed and empty items dropped. `item` validates each one. */
export function listVar<T = string>(item?: z.ZodType<T, string>) {
  return z.string().transform((raw, ctx) => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (item === undefined) return items as T[];
    const out: T[] = [];
    items.forEach((s, i) => {
      const r = item.safeParse(s);
      if (r.success) out.push(r.data);
      else ctx.addIssue({ code: 'custom', message: `item ${i + 1} ("${s}"): ${r.error.issues[0]?.message ?? 'invalid'}` });
    });
    return out;
  });
}

/** An absolute URL (WHATWG parsing), optionally restricted to some schemes: `urlVar({ protocols: ['redis', 'rediss'] })`. */
export function urlVar(options: { protocols?: readonly string[] } = {}) {
  const allowed = options.protocols?.map((p) => p.replace(/:$/, '').toLowerCase());
  const expected = allowed ? `expected a URL (${allowed.map((p) => `${p}://`).join(', ')})` : 'expected an absolute URL';
  return parsed(expected, (raw) => {
    if (!URL.canParse(raw)) return undefined;
    const url = new URL(raw);
    if (allowed && !allowed.includes(url.protocol.replace(/:$/, ''))) return undefined;
    return raw;
  });
}

/** One of a fixed set of words, e.g. log levels. */
export function enumVar<const V extends readonly [string, ...string[]]>(values: V) {
  return parsed(`expected one of ${values.join(', ')}`, (raw) => (values as readonly string[]).includes(raw) ? (raw as V[number]) : undefined);
}

/** A non-empty string (surrounding whitespace kept: it may matter). */
export function stringVar(options: { minLength?: number } = {}) {
  const min = options.minLength ?? 1;
  return z.string().refine((s) => s.length >= min, { message: `expected at least ${min} character${min === 1 ? '' : 's'}` });
}

/**
 * A secret: read from `NAME`, or from the file named by `NAME_FILE` (a Kubernetes Secret mount;
 * one trailing newline is dropped). Its value never appears in a `ConfigError`.
 */
export function secretVar(options: { minLength?: number } = {}) {
  const schema = stringVar(options);
  secrets.add(schema);
  return schema;
}

/** True when `schema` (or what it wraps through optional/default/pipe) came from `secretVar`. */
export function isSecret(schema: z.ZodType): boolean {
  for (let s: z.ZodType | undefined = schema, depth = 0; s !== undefined && depth < 10; depth++) {
    if (secrets.has(s)) return true;
    const def = s.def as { innerType?: z.ZodType; in?: z.ZodType };
    s = def.innerType ?? def.in;
  }
  return false;
}
