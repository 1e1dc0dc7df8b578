// The NBI's request and response shapes, as zod schemas: the router validates with them and the
// OpenAPI document is generated from them (openapi.ts), so the two cannot drift.
import { validateValue, xsdTypeFromLocalName } from '@acs/cwmp';
import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../store/device-store.js';
import { NBI_ROLES } from './tokens.js';

/** Named schemas, emitted under `components.schemas` in the OpenAPI document. */
export const schemaRegistry = z.registry<{ id: string }>();
/** Descriptions of named schemas, by id (toJSONSchema does not emit a custom registry's metadata). */
export const schemaDescriptions = new Map<string, string>();

function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  schemaRegistry.add(schema, { id });
  if (description !== undefined) schemaDescriptions.set(id, description);
  return schema;
}

// ---------- building blocks ----------

// TR-069 caps parameter names at 256 characters (A.2.3.1 ParameterPath/Name: string(256)).
const NAME_MAX = 256;
// Segments: names (vendor ones carry `X_<OUI>_`), instance numbers, or CWMP 1.4 alias instances `[alias]`.
const PATH_RE = /^[A-Za-z_][\w-]*(?:\.(?:[\w-]+|\[[^\]]+\]))*\.?$/;
const parameterPath = z.string().min(1).max(NAME_MAX).regex(PATH_RE, 'expected a TR-069 parameter name like Device.DeviceInfo.SerialNumber');
const leafName = parameterPath.refine((n) => !n.endsWith('.'), 'expected a parameter, not an object path ending in "."');
const objectPath = parameterPath.refine((n) => n.endsWith('.'), 'expected an object path ending in "."');
// TR-069 A.3.2.1: ParameterKey and CommandKey are string(32).
const commandKey = z.string().max(32);
const parameterKey = z.string().max(32);
const nameList = z.array(parameterPath).min(1).max(1_000);

/** `xsd:<type>` with a type TR-069 uses; the bare local name is accepted and normalised. */
export const xsdTypeSchema = z
  .string()
  .regex(/^(xsd:)?[A-Za-z0-9]+$/, 'expected an xsd type such as xsd:unsignedInt')
  .refine((t) => xsdTypeFromLocalName(t.replace(/^xsd:/, '')) !== undefined, 'unknown xsd type (string, int, unsignedInt, long, unsignedLong, boolean, dateTime, base64, hexBinary, decimal)')
  .transform((t) => `xsd:${xsdTypeFromLocalName(t.replace(/^xsd:/, '')) as string}`);

export const timeInputSchema = z.union([z.number().int().nonnegative().describe('epoch milliseconds'), z.iso.datetime({ offset: true })]);
const toEpochMs = (v: number | string) => (typeof v === 'number' ? v : Date.parse(v));

export const deviceIdSchema = z.string().min(1).max(1_024);
export const tagSchema = z.string().regex(/^[\w.:@+-]{1,128}$/, 'tags are 1..128 characters of letters, digits and _ . : @ + -');
const idSchema = z.string().min(1).max(128);

// ---------- query strings (every value arrives as a string, repeated keys as arrays) ----------

const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s !== ''));
const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const queryTime = z
  .string()
  .refine((s) => (/^\d+$/.test(s) ? Number.isSafeInteger(Number(s)) : z.iso.datetime({ offset: true }).safeParse(s).success), 'expected epoch milliseconds or an ISO 8601 date-time')
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)))
  .describe('epoch milliseconds or ISO 8601 date-time');
const queryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const pageQuery = {
  limit: queryInt(1, MAX_PAGE_LIMIT).optional().describe(`page size, 1..${MAX_PAGE_LIMIT}, default ${DEFAULT_PAGE_LIMIT}`),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional().describe('matches to skip, default 0'),
};

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

export const ConnectQuery = z.strictObject({
  connect: queryBool.optional().describe('poke the device (connection request) once the tasks are stored'),
});

export const PokeQuery = z.strictObject({
  wait: queryInt(0, 60).optional().describe('seconds to wait for the outcome and, when accepted, the session start (0: do not wait)'),
});

export const TASK_STATUSES = ['pending', 'running', 'done', 'fault', 'cancelled'] as const;

export const TaskListQuery = z.strictObject({
  deviceId: z.string().optional(),
  status: csv.pipe(z.array(z.enum(TASK_STATUSES))).optional().describe('comma-separated or repeated'),
  ...pageQuery,
});

export const FaultListQuery = z.strictObject({
  deviceId: z.string().optional(),
  taskId: z.string().optional(),
  ...pageQuery,
});

export const CREDENTIAL_KINDS = ['cpe', 'connectionRequest'] as const;

export const CredentialListQuery = z.strictObject({
  kind: z.enum(CREDENTIAL_KINDS).optional().describe('cpe (default): CPE→ACS credentials; connectionRequest: ACS→CPE ones'),
  deviceId: z.string().optional(),
  deviceTypeId: z.string().optional(),
  username: z.string().optional(),
  ...pageQuery,
});

export const EmptyQuery = z.strictObject({});

// ---------- tasks ----------

const parameterValue = z
  .strictObject({
    name: leafName,
    value: z.string().max(65_535),
    type: xsdTypeSchema.optional().describe('xsd type sent with SetParameterValues; default: the type the CPE reported'),
  })
  .superRefine((p, ctx) => {
    if (p.type === undefined) return;
    const local = xsdTypeFromLocalName(p.type.replace(/^xsd:/, ''));
    if (local !== undefined && !validateValue(local, p.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `not a valid ${p.type} value` });
    }
  });

const uniqueNames = (list: { name: string }[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    // TR-069 A.3.2.1: a name twice in one SetParameterValues is a fault (9003); refuse it here.
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${p.name} appears twice` });
    seen.add(p.name);
  });
};

const urlSchema = z.url({ protocol: /^(https?|ftp)$/ }).max(NAME_MAX);

/** Arguments of each task kind, named after the TR-069 RPC arguments (camelCase). */
export const TASK_ARGS = {
  getParameterValues: z.strictObject({ parameterNames: nameList }),
  setParameterValues: z.strictObject({
    parameterList: z.array(parameterValue).min(1).max(1_000).superRefine(uniqueNames),
    parameterKey: parameterKey.optional(),
  }),
  getParameterNames: z.strictObject({
    parameterPath: z.union([z.literal(''), parameterPath]).describe('"" for the whole tree'),
    nextLevel: z.boolean().default(false),
  }),
  addObject: z.strictObject({ objectName: objectPath, parameterKey: parameterKey.optional() }),
  deleteObject: z.strictObject({ objectName: objectPath, parameterKey: parameterKey.optional() }),
  setParameterAttributes: z.strictObject({
    parameterList: z
      .array(
        z.strictObject({
          name: parameterPath,
          notificationChange: z.boolean().default(false),
          notification: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(6)]).default(0),
          accessListChange: z.boolean().default(false),
          accessList: z.array(z.literal('Subscriber')).max(1).default([]),
        }),
      )
      .min(1)
      .max(1_000)
      .superRefine(uniqueNames),
  }),
  getParameterAttributes: z.strictObject({ parameterNames: nameList }),
  reboot: z.strictObject({ commandKey: commandKey.optional() }).default({}),
  factoryReset: z.strictObject({}).default({}),
  download: z.strictObject({
    url: urlSchema,
    // TR-069 A.3.2.8: "1 Firmware Upgrade Image" ... "5 Ringer File", "6 Stored Firmware Image", or "X <OUI> <name>".
    fileType: z.string().regex(/^(?:[1-6] [A-Za-z ]+|X [0-9A-Fa-f]{6} .+)$/, 'expected a TR-069 FileType such as "1 Firmware Upgrade Image"').max(64),
    fileSize: z.number().int().nonnegative().max(2 ** 32 - 1).optional(),
    targetFileName: z.string().max(NAME_MAX).optional(),
    username: z.string().max(NAME_MAX).optional(),
    password: z.string().max(NAME_MAX).optional(),
    delaySeconds: z.number().int().nonnegative().max(2 ** 32 - 1).optional(),
    successURL: urlSchema.optional(),
    failureURL: urlSchema.optional(),
    commandKey: commandKey.optional(),
  }),
  // TR-069 A.3.2.11: DelaySeconds must be greater than zero.
  scheduleInform: z.strictObject({ delaySeconds: z.number().int().min(1).max(2 ** 32 - 1), commandKey: commandKey.optional() }),
  getRPCMethods: z.strictObject({}).default({}),
  refresh: z.strictObject({ path: parameterPath.describe('re-read this subtree: GetParameterNames, then GetParameterValues') }),
} as const;

type TaskKind = keyof typeof TASK_ARGS;

const taskCommon = {
  maxAttempts: z.number().int().min(1).max(100).optional().describe('sessions the task may take before it ends in fault; default 3'),
  expiresAt: timeInputSchema.optional().describe('cancel the task (reason expired) if it has not run by then'),
  ttl: z.number().int().min(1).max(366 * 24 * 3_600).optional().describe('seconds from now; alternative to expiresAt'),
};

function taskVariant<K extends TaskKind>(type: K) {
  // Kinds without required arguments (reboot, factoryReset, getRPCMethods) default `args` to {}.
  return z.strictObject({ type: z.literal(type), args: TASK_ARGS[type], ...taskCommon });
}

export const TaskRequest = named(
  'TaskRequest',
  z
    .discriminatedUnion('type', [
      taskVariant('getParameterValues'),
      taskVariant('setParameterValues'),
      taskVariant('getParameterNames'),
      taskVariant('addObject'),
      taskVariant('deleteObject'),
      taskVariant('setParameterAttributes'),
      taskVariant('getParameterAttributes'),
      taskVariant('reboot'),
      taskVariant('factoryReset'),
      taskVariant('download'),
      taskVariant('scheduleInform'),
      taskVariant('getRPCMethods'),
      taskVariant('refresh'),
    ])
    .refine((t) => t.expiresAt === undefined || t.ttl === undefined, { message: 'give expiresAt or ttl, not both', path: ['ttl'] }),
  'One task: `type` names the RPC (or `refresh`), `args` its TR-069 arguments.',
);

export const TaskCreateBody = named('TaskCreateBody', z.union([TaskRequest, z.array(TaskRequest).min(1).max(100)]), 'One task or a list of up to 100, queued in order.');

export type TaskRequestInput = z.output<typeof TaskRequest>;

/** The expiry a task request asks for, in epoch ms; null: never. */
export function taskExpiry(t: TaskRequestInput, now: number): number | null {
  if (t.ttl !== undefined) return now + t.ttl * 1_000;
  if (t.expiresAt !== undefined) return toEpochMs(t.expiresAt);
  return null;
}

// ---------- tags, credentials, device types, tokens ----------

export const TagsBody = named('TagsBody', z.strictObject({ tags: z.array(tagSchema).min(1).max(100) }));

const scopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('device'), deviceId: deviceIdSchema }),
  z.strictObject({ kind: z.literal('deviceType'), deviceTypeId: idSchema }),
]);

// TR-069 caps usernames and passwords at 256 characters.
const username = z.string().min(1).max(256);
const password = z.string().min(1).max(256);

export const CredentialCreateBody = named(
  'CredentialCreateBody',
  z.discriminatedUnion('kind', [
    z
      .strictObject({
        kind: z.literal('cpe'),
        id: idSchema.optional(),
        username,
        password: password.describe('stored only as Digest HA1 and a scrypt hash; never returned'),
        scope: scopeSchema,
        status: z.enum(['active', 'disabled']).optional(),
      })
      .describe('A username/password the CPE presents to the ACS, for one device or every device of a type.'),
    z
      .strictObject({
        kind: z.literal('connectionRequest'),
        username,
        password: password.describe('stored encrypted; never returned'),
        scope: scopeSchema,
      })
      .describe('What the ACS presents on a connection request to the device, or to every device of the type (kept on the type; a device\'s own newer credentials win).'),
  ]),
);

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

const CONNREQ_TRANSPORTS = ['http', 'udp', 'xmpp'] as const;

const connreqRouting = z
  .strictObject({
    transports: z
      .array(z.enum(CONNREQ_TRANSPORTS))
      .max(3)
      .refine((list) => new Set(list).size === list.length, 'a transport appears twice')
      .optional()
      .describe('order of preference (default http, udp, xmpp); transports a device cannot use are left out at poke time'),
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

export const TokenCreateBody = named('TokenCreateBody', z.strictObject({ role: z.enum(NBI_ROLES) }));

// ---------- responses (documented; the tests check real responses against them) ----------

const epochMs = z.number().int().describe('epoch milliseconds');
const nullableMs = epochMs.nullable();

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
      natDetected: z.boolean().nullable(),
      connReqJabberID: z.string().nullable(),
    }),
    connectionRequestAuth: z.object({ username: z.string(), passwordSet: z.literal(true) }).nullable().describe('the password is never returned'),
    createdAt: epochMs,
    updatedAt: epochMs,
    parameters: z.array(ParameterSchema).optional().describe('with a projection, or on GET /devices/{id}'),
  }),
);

const pageOf = <T extends z.ZodType>(id: string, item: T) => named(id, z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }));

export const DevicePageSchema = pageOf('DevicePage', DeviceSchema);

export const TaskSchema = named(
  'Task',
  z.object({
    id: z.string(),
    deviceId: z.string(),
    seq: z.number().int(),
    type: z.enum(Object.keys(TASK_ARGS) as [TaskKind, ...TaskKind[]]),
    args: z.record(z.string(), z.unknown()).describe('as in TaskRequest; passwords are replaced by "[REDACTED]"'),
    status: z.enum(TASK_STATUSES),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    priority: z.number().int().describe('higher runs first; operator tasks have 0, registry work (onboarding, profiles) more'),
    expiresAt: nullableMs,
    result: z.unknown(),
    fault: z.object({ code: z.string(), message: z.string() }).nullable(),
    cancelReason: z.enum(['user', 'expired']).nullable(),
    createdAt: epochMs,
    updatedAt: epochMs,
    startedAt: nullableMs,
    finishedAt: nullableMs,
  }),
);

export const TaskPageSchema = pageOf('TaskPage', TaskSchema);

export const TaskCreatedSchema = named(
  'TaskCreated',
  z.object({
    tasks: z.array(TaskSchema),
    poke: z
      .object({ requestId: z.string().nullable(), error: z.string().optional() })
      .optional()
      .describe('present with ?connect=true; requestId null (with error) when the poke could not be sent, the tasks are stored anyway'),
  }),
);

export const PokeResultSchema = named(
  'PokeResult',
  z.object({
    requestId: z.string(),
    deviceId: z.string(),
    outcome: z.string().nullable().describe('accepted, auth_failed, unreachable, timeout, rejected, no_route; null: not known within ?wait'),
    transport: z.string().nullable(),
    latencyMs: z.number().nullable().describe('the worker\'s latency for the outcome'),
    detail: z.string().optional(),
    session: z
      .object({ sessionId: z.string(), startedAt: z.string(), latencyMs: z.number().describe('from the poke to the session start') })
      .nullable()
      .describe('the session the CPE opened with 6 CONNECTION REQUEST for this poke; null: not (yet) seen'),
    timedOut: z.boolean().describe('?wait ended before the outcome (and, when accepted, the session start) came'),
  }),
);

export const FaultSchema = named(
  'Fault',
  z.object({
    id: z.string(),
    deviceId: z.string(),
    taskId: z.string().nullable(),
    code: z.string(),
    message: z.string(),
    detail: z.unknown(),
    retries: z.number().int(),
    createdAt: epochMs,
    updatedAt: epochMs,
  }),
);

export const FaultPageSchema = pageOf('FaultPage', FaultSchema);

const scopeView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('device'), deviceId: z.string() }),
  z.object({ kind: z.literal('deviceType'), deviceTypeId: z.string() }),
]);

export const CredentialSchema = named(
  'Credential',
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('cpe'),
      id: z.string(),
      username: z.string(),
      scope: scopeView,
      realm: z.string(),
      status: z.enum(['active', 'pending', 'disabled']),
      createdAt: epochMs,
      updatedAt: epochMs,
    }),
    z.object({
      kind: z.literal('connectionRequest'),
      id: z.string().optional().describe('`connreq:<deviceId>` or `connreq-type:<deviceTypeId>`, for DELETE'),
      username: z.string(),
      scope: scopeView,
      passwordSet: z.literal(true),
    }),
  ]),
  'Never contains a password or a hash.',
);

export const CredentialListSchema = named('CredentialList', z.object({ items: z.array(CredentialSchema) }));

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

export const TokenSchema = named('Token', z.object({ id: z.string(), role: z.enum(NBI_ROLES), createdAt: epochMs }));
export const IssuedTokenSchema = named('IssuedToken', TokenSchema.extend({ token: z.string().describe('shown once; only its hash is kept') }));
export const TokenListSchema = named('TokenList', z.object({ items: z.array(TokenSchema) }));

export const HealthSchema = named('Health', z.object({ status: z.string() }));
