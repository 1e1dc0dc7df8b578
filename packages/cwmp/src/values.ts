import { CwmpValueError } from './errors.js';
import type { ParameterValueStruct, XsdType } from './types.js';

export type TypedValue = string | number | bigint | boolean | Buffer;

const XSD_TYPES: ReadonlySet<string> = new Set<XsdType>([
  'string', 'int', 'unsignedInt', 'long', 'unsignedLong', 'boolean', 'dateTime', 'base64', 'hexBinary', 'decimal',
]);

/**
 * The XsdType for an xsi:type local name, or undefined when we do not know it.
 * `base64Binary` (the XML Schema name) and `base64` (what CPEs send) are one type.
 */
export function xsdTypeFromLocalName(local: string): XsdType | undefined {
  if (local === 'base64Binary') return 'base64';
  return XSD_TYPES.has(local) ? (local as XsdType) : undefined;
}

const INT_RANGES = {
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  unsignedInt: [0n, 2n ** 32n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
  unsignedLong: [0n, 2n ** 64n - 1n],
} as const;

const INTEGER_RE = /^[+-]?\d+$/;
const BOOLEAN_RE = /^(true|false|1|0)$/;
// xsd:dateTime: optional sign, year >= 4 digits, optional fraction, optional zone (CPEs omit it).
const DATETIME_RE = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)?$|^-?\d{4,}-\d\d-\d\dT24:00:00(\.0+)?(Z|[+-]\d\d:\d\d)?$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_RE = /^(?:[0-9A-Fa-f]{2})*$/;
const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function stripSpaces(s: string): string {
  return s.replace(/\s+/g, '');
}

/** Whether `lexical` is a valid lexical form of `type` (whitespace around non-strings tolerated). */
export function validateValue(type: XsdType, lexical: string): boolean {
  const v = type === 'string' ? lexical : lexical.trim();
  switch (type) {
    case 'string':
      return true;
    case 'int':
    case 'unsignedInt':
    case 'long':
    case 'unsignedLong': {
      if (!INTEGER_RE.test(v)) return false;
      const n = BigInt(v);
      const [lo, hi] = INT_RANGES[type];
      return n >= lo && n <= hi;
    }
    case 'boolean':
      return BOOLEAN_RE.test(v.toLowerCase());
    case 'dateTime':
      return DATETIME_RE.test(v);
    case 'base64':
      // Line-wrapped base64 is common in config files.
      return BASE64_RE.test(stripSpaces(v));
    case 'hexBinary':
      return HEX_RE.test(v);
    case 'decimal':
      return DECIMAL_RE.test(v);
    default:
      return assertNever(type);
  }
}

/**
 * The JS value of a parameter: int/unsignedInt as number, long/unsignedLong as bigint (never
 * Number: counters exceed 2^53), boolean, dateTime and decimal as their lexical string,
 * base64/hexBinary as Buffer. Throws CwmpValueError if the lexical form is invalid for its type.
 */
export function toTyped(pv: Pick<ParameterValueStruct, 'value' | 'type'>): TypedValue {
  const { type, value } = pv;
  if (!validateValue(type, value)) throw new CwmpValueError(type, value);
  const v = value.trim();
  switch (type) {
    case 'string':
      return value;
    case 'int':
    case 'unsignedInt':
      return Number(v);
    case 'long':
    case 'unsignedLong':
      return BigInt(v);
    case 'boolean':
      return v === '1' || v.toLowerCase() === 'true';
    case 'dateTime':
    case 'decimal':
      return v;
    case 'base64':
      return Buffer.from(stripSpaces(v), 'base64');
    case 'hexBinary':
      return Buffer.from(v, 'hex');
    default:
      return assertNever(type);
  }
}

export interface FromTypedOptions {
  /** Booleans as `1`/`0` instead of `true`/`false` (some CPEs reject the literals on SPV). */
  booleanAsDigit?: boolean;
  /** Keep milliseconds when formatting a Date (some CPEs reject fractional seconds). */
  dateTimeMilliseconds?: boolean;
}

/**
 * Build a ParameterValueStruct from a JS value, in the lexical form of `type`.
 * Throws CwmpValueError when the value does not fit the type (e.g. 2^32 as unsignedInt).
 */
export function fromTyped(
  name: string,
  value: TypedValue | Date,
  type: XsdType,
  options: FromTypedOptions = {},
): ParameterValueStruct {
  const lexical = toLexical(value, type, options);
  if (!validateValue(type, lexical)) throw new CwmpValueError(type, lexical);
  return { name, value: lexical, type };
}

function toLexical(value: TypedValue | Date, type: XsdType, options: FromTypedOptions): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new CwmpValueError(type, 'Invalid Date');
    const iso = value.toISOString();
    return options.dateTimeMilliseconds ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
  }
  if (Buffer.isBuffer(value)) return value.toString(type === 'hexBinary' ? 'hex' : 'base64');
  if (typeof value === 'boolean') {
    if (type === 'boolean') return options.booleanAsDigit ? (value ? '1' : '0') : String(value);
    return String(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CwmpValueError(type, String(value));
    if (type !== 'decimal' && type !== 'string' && !Number.isInteger(value)) throw new CwmpValueError(type, String(value));
    if (type === 'boolean') {
      if (value !== 0 && value !== 1) throw new CwmpValueError(type, String(value));
      return options.booleanAsDigit ? String(value) : String(value === 1);
    }
    return String(value);
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

function assertNever(x: never): never {
  throw new Error(`unexpected xsd type ${String(x)}`);
}
