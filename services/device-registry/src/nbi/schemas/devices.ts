// Devices: listing and reading them, their tags and parameters, and pokes (connection requests).
import { CONNREQ_OUTCOMES, CONNREQ_TRANSPORTS } from '@acs/contracts';
import { z } from 'zod';
import { csv, epochMs, NAME_MAX, nullableMs, pageOf, pageQuery, queryInt, queryTime } from './common.js';
import { named } from './registry.js';

export const tagSchema = z.string().regex(/^[\w.:@+-]{1,128}$/, 'tags are 1..128 characters of letters, digits and _ . : @ + -');

export const DeviceListQuery = z.strictObject({
  id: csv.optional().describe('device ids (comma-separated or repeated)'),
  serialNumber: z.string().optional(),
  productClass: z.string().optional(),
  oui: z.string().optional(),
  deviceTypeId: z.string().optional(),
  tag: csv.optional().describe('devices carrying every one of these tags'),
  lastInformBefore: queryTime.optional().describe('last Inform strictly before this instant'),
  lastInformAfter: queryTime.optional().describe('last Inform at or after this instant'),
  projection: csv.optional().describe('parameter paths (partial paths allowed) to include with each device'),
  ...pageQuery,
});

export const DeviceGetQuery = z.strictObject({
  path: z.string().max(NAME_MAX).optional().describe('only the parameter subtree at this (partial) path'),
});

export const PokeQuery = z.strictObject({
  wait: queryInt(0, 60).optional().describe('seconds to wait for the outcome and, when accepted, the session start (0: do not wait)'),
});

export const TagsBody = named('TagsBody', z.strictObject({ tags: z.array(tagSchema).min(1).max(100) }));

export const ParameterSchema = named(
  'Parameter',
  z.object({
    path: z.string(),
    value: z.string().nullable(),
    type: z.string().nullable(),
    writable: z.boolean().nullable(),
    object: z.boolean(),
    notification: z.number().int().nullable(),
    accessList: z.array(z.string()).nullable(),
    readAt: nullableMs,
  }),
);

export const DeviceSchema = named(
  'Device',
  z.object({
    id: z.string(),
    manufacturer: z.string().nullable(),
    oui: z.string(),
    productClass: z.string(),
    serialNumber: z.string(),
    hardwareVersion: z.string().nullable(),
    softwareVersion: z.string().nullable(),
    deviceTypeId: z.string().nullable(),
    tags: z.array(z.string()),
    lastInformAt: nullableMs,
    lastBootAt: nullableMs,
    lastBootstrapAt: nullableMs,
    sourceIp: z.string().nullable(),
    connectionRequest: z.object({
      connectionRequestURL: z.string().nullable(),
      udpConnectionRequestAddress: z.string().nullable(),
      udpConnectionRequestAddressSeenAt: nullableMs.describe('when the registry last heard the UDP address (an Inform reporting it, or a STUN binding)'),
      natDetected: z.boolean().nullable(),
      connReqJabberID: z.string().nullable(),
    }),
    connectionRequestAuth: z.object({ username: z.string(), passwordSet: z.literal(true) }).nullable().describe('the password is never returned'),
    createdAt: epochMs,
    updatedAt: epochMs,
    parameters: z.array(ParameterSchema).optional().describe('with a projection, or on GET /devices/{id}'),
  }),
);

export const DevicePageSchema = pageOf('DevicePage', DeviceSchema);

export const PokeResultSchema = named(
  'PokeResult',
  z.object({
    requestId: z.string(),
    deviceId: z.string(),
    outcome: z.enum(CONNREQ_OUTCOMES).nullable().describe('null: not known within ?wait'),
    transport: z.enum([...CONNREQ_TRANSPORTS, 'none']).nullable().describe('none: no transport could be tried (no_route)'),
    latencyMs: z.number().nullable().describe('the worker\'s latency for the outcome'),
    detail: z.string().optional(),
    session: z
      .object({ sessionId: z.string(), startedAt: z.string(), latencyMs: z.number().describe('from the poke to the session start') })
      .nullable()
      .describe('the session the CPE opened with 6 CONNECTION REQUEST for this poke; null: not (yet) seen'),
    timedOut: z.boolean().describe('?wait ended before the outcome (and, when accepted, the session start) came'),
  }),
);
