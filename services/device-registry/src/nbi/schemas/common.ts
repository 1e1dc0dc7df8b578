// Building blocks the resource schemas share: TR-069 names and types, ids, query-string parsing,
// pagination, timestamps, and the error and health bodies.
import { xsdTypeFromLocalName } from '@acs/cwmp';
import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../store/device-store.js';
import { named } from './registry.js';

// TR-069 caps parameter names at 256 characters (A.2.3.1 ParameterPath/Name: string(256)).
export const NAME_MAX = 256;
// Segments: names (vendor ones carry `X_<OUI>_`), instance numbers, or CWMP 1.4 alias instances `[alias]`.
const PATH_RE = /^[A-Za-z_][\w-]*(?:\.(?:[\w-]+|\[[^\]]+\]))*\.?$/;
export const parameterPath = z.string().min(1).max(NAME_MAX).regex(PATH_RE, 'expected a TR-069 parameter name like Device.DeviceInfo.SerialNumber');
export const leafName = parameterPath.refine((n) => !n.endsWith('.'), 'expected a parameter, not an object path ending in "."');

/** `xsd:<type>` with a type TR-069 uses; the bare local name is accepted and normalised. */
export const xsdTypeSchema = z
  .string()
  .regex(/^(xsd:)?[A-Za-z0-9]+$/, 'expected an xsd type such as xsd:unsignedInt')
  .refine((t) => xsdTypeFromLocalName(t.replace(/^xsd:/, '')) !== undefined, 'unknown xsd type (string, int, unsignedInt, long, unsignedLong, boolean, dateTime, base64, hexBinary, decimal)')
  .transform((t) => `xsd:${xsdTypeFromLocalName(t.replace(/^xsd:/, '')) as string}`);

export const deviceIdSchema = z.string().min(1).max(1_024);
export const idSchema = z.string().min(1).max(128);

// ---------- query strings (every value arrives as a string, repeated keys as arrays) ----------

export const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''));
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const queryTime = z
  .string()
  .refine((s) => (/^\d+$/.test(s) ? Number.isSafeInteger(Number(s)) : z.iso.datetime({ offset: true }).safeParse(s).success), 'expected epoch milliseconds or an ISO 8601 date-time')
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)))
  .describe('epoch milliseconds or ISO 8601 date-time');
export const queryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const pageQuery = {
  limit: queryInt(1, MAX_PAGE_LIMIT).optional().describe(`page size, 1..${MAX_PAGE_LIMIT}, default ${DEFAULT_PAGE_LIMIT}`),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional().describe('matches to skip, default 0'),
};

export const EmptyQuery = z.strictObject({});

// ---------- responses (documented; the tests check real responses against them) ----------

export const epochMs = z.number().int().describe('epoch milliseconds');
export const nullableMs = epochMs.nullable();

/** A named page of `item`s, as the list routes answer. */
export const pageOf = <T extends z.ZodType>(id: string, item: T) => named(id, z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }));

export const ErrorBodySchema = named(
  'Error',
  z.object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  }),
);

export const HealthSchema = named('Health', z.object({ status: z.string() }));
