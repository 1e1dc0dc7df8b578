// Device types: which devices they match, the profile they get, and how pokes reach them.
import { CONNREQ_TRANSPORTS } from '@acs/contracts';
import { z } from 'zod';
import { epochMs, idSchema, leafName, NAME_MAX, parameterPath, xsdTypeSchema } from './common.js';
import { named } from './registry.js';

const match = z.strictObject({
  oui: z.string().regex(/^[0-9A-Fa-f]{6}$/, 'expected 6 hex digits').optional(),
  productClass: z.string().min(1).max(64).optional(),
  serialPattern: z.string().min(1).max(64).describe('glob over the whole serial number: * any run, ? one character').optional(),
});

const TEMPLATE_PART = /^(serialNumber|oui|productClass|deviceId|secret(?::[A-Za-z0-9_-]{1,64})?)$/;
const templated = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((value, ctx) => {
      for (const m of value.matchAll(/\{([^{}]*)\}/g)) {
        if (!TEMPLATE_PART.test(m[1] ?? '')) ctx.addIssue({ code: 'custom', message: `unknown template {${m[1]}}; use {serialNumber}, {oui}, {productClass}, {deviceId} or {secret:<name>}` });
      }
    });

const profileEntry = z.strictObject({
  path: leafName,
  value: templated(65_535).describe('template: {serialNumber}, {oui}, {productClass}, {deviceId}, {secret:<name>}'),
  type: xsdTypeSchema.default('xsd:string'),
});

const connreqPolicy = z.strictObject({
  mode: z.enum(['generate', 'none']).describe('generate: per-device connection-request credentials set through the profile; none: leave the CPE its own'),
  usernameTemplate: templated(256).default('cr-{serialNumber}'),
  passwordLength: z.number().int().min(12).max(256).default(24),
});

const connreqRouting = z
  .strictObject({
    transports: z
      .array(z.enum(CONNREQ_TRANSPORTS))
      .max(CONNREQ_TRANSPORTS.length)
      .refine((list) => new Set(list).size === list.length, 'a transport appears twice')
      .optional()
      .describe('order of preference (default xmpp, http, udp); transports a device cannot use are left out at poke time'),
    deadlineMs: z.number().int().min(1_000).max(600_000).optional().describe('a poke not accepted within this time ends `timeout` (default 30000)'),
    allowBasicAuth: z.boolean().optional().describe('HTTP Basic when the CPE asks for it; the password then travels readable (default false)'),
    vpn: z
      .strictObject({
        hostFromParameter: parameterPath.optional().describe('parameter holding the VPN-side address, e.g. Device.X_VPN.IPAddress'),
        useSourceIp: z.boolean().optional().describe('else the source address of the last session'),
        egress: z
          .strictObject({
            localAddress: z.union([z.ipv4(), z.ipv6()]).optional().describe('local address the worker binds'),
            proxyUrl: z.url({ protocol: /^https?$/ }).max(NAME_MAX).optional().describe('HTTP proxy the worker goes through'),
          })
          .optional(),
      })
      .nullable()
      .optional()
      .describe('rewrite the ConnectionRequestURL host to the VPN-side address (port and path kept)'),
    xmpp: z
      .strictObject({
        keepAliveInterval: z.number().int().min(-1).max(86_400).default(300).describe('XMPP.Connection.{i}.KeepAliveInterval set on the CPE, seconds'),
      })
      .nullable()
      .optional()
      .describe('set up XMPP connection requests (Annex K): the ACS creates the CPE\'s account on the XMPP server and configures the CPE with the profile'),
    stun: z
      .strictObject({
        requireAuth: z.boolean().default(true).describe('Binding Requests need MESSAGE-INTEGRITY with the STUN credentials the ACS sets'),
        minimumKeepAlivePeriod: z.number().int().min(0).max(86_400).default(30).describe('ManagementServer.STUNMinimumKeepAlivePeriod, seconds'),
        maximumKeepAlivePeriod: z.number().int().min(-1).max(86_400).default(120).describe('ManagementServer.STUNMaximumKeepAlivePeriod, seconds; -1: no maximum'),
      })
      .refine((s) => s.maximumKeepAlivePeriod === -1 || s.maximumKeepAlivePeriod >= s.minimumKeepAlivePeriod, {
        message: 'maximumKeepAlivePeriod must be -1 (none) or at least minimumKeepAlivePeriod',
        path: ['maximumKeepAlivePeriod'],
      })
      .nullable()
      .optional()
      .describe('set up UDP connection requests through STUN (Annex G, TR-111): the ACS gives the CPE the STUN server and credentials with the profile (only where a udp worker is deployed)'),
  })
  .describe('How pokes reach devices of the type (see the router README); fields left out take the defaults.');

const deviceTypeFields = {
  name: z.string().trim().min(1).max(128),
  match: match.optional(),
  catchAll: z.boolean().optional().describe('admits any device when nothing more specific matches'),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  onboarding: z.boolean().optional().describe('replace shared type credentials with generated per-device ones on first contact (default true)'),
  profile: z
    .array(profileEntry)
    .max(1_000)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((e, i) => {
        if (seen.has(e.path)) ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `${e.path} appears twice` });
        seen.add(e.path);
      });
    })
    .optional(),
  connectionRequestCredentials: connreqPolicy.optional(),
  connectionRequestPolicy: connreqRouting.optional(),
};

export const DeviceTypeCreateBody = named('DeviceTypeCreateBody', z.strictObject({ id: idSchema.optional(), ...deviceTypeFields }));

export const DeviceTypeUpdateBody = named(
  'DeviceTypeUpdateBody',
  z.strictObject({ ...deviceTypeFields, name: deviceTypeFields.name.optional() }),
  'Fields given replace the stored ones; fields left out keep their value.',
);

export const DeviceTypeSchema = named(
  'DeviceType',
  z.object({
    id: z.string(),
    name: z.string(),
    match: z.object({ oui: z.string().optional(), productClass: z.string().optional(), serialPattern: z.string().optional() }),
    catchAll: z.boolean(),
    priority: z.number().int(),
    onboarding: z.boolean(),
    profile: z.array(z.object({ path: z.string(), value: z.string(), type: z.string() })),
    connectionRequestCredentials: z.object({ mode: z.enum(['generate', 'none']), usernameTemplate: z.string(), passwordLength: z.number().int() }),
    connectionRequestPolicy: z.object({
      transports: z.array(z.enum(CONNREQ_TRANSPORTS)),
      deadlineMs: z.number().int(),
      allowBasicAuth: z.boolean(),
      vpn: z
        .object({
          hostFromParameter: z.string().optional(),
          useSourceIp: z.boolean().optional(),
          egress: z.object({ localAddress: z.string().optional(), proxyUrl: z.string().optional() }).optional(),
        })
        .nullable(),
      xmpp: z.object({ keepAliveInterval: z.number().int() }).nullable(),
      stun: z.object({ requireAuth: z.boolean(), minimumKeepAlivePeriod: z.number().int(), maximumKeepAlivePeriod: z.number().int() }).nullable(),
    }),
    connectionRequestAuth: z
      .object({ username: z.string(), passwordSet: z.literal(true), updatedAt: epochMs })
      .nullable()
      .describe('type-level connection-request credentials (set with POST /credentials kind=connectionRequest); the password is never returned'),
    createdAt: epochMs,
    updatedAt: epochMs,
  }),
);

export const DeviceTypeListSchema = named('DeviceTypeList', z.object({ items: z.array(DeviceTypeSchema) }));
