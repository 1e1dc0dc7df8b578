// Tasks: the RPCs (and refresh) an operator queues for a device, their arguments, and the task views.
import { validateValue, xsdTypeFromLocalName } from '@acs/cwmp';
import { z } from 'zod';
import { csv, epochMs, leafName, NAME_MAX, nullableMs, pageOf, pageQuery, parameterPath, queryBool, xsdTypeSchema } from './common.js';
import { named } from './registry.js';
import { TASK_TYPES } from '../../store/types.js';

const objectPath = parameterPath.refine((n) => n.endsWith('.'), 'expected an object path ending in "."');
// TR-069 A.3.2.1: ParameterKey and CommandKey are string(32).
const commandKey = z.string().max(32);
const parameterKey = z.string().max(32);
const nameList = z.array(parameterPath).min(1).max(1_000);

export const timeInputSchema = z.union([z.number().int().nonnegative().describe('epoch milliseconds'), z.iso.datetime({ offset: true })]);
const toEpochMs = (v: number | string) => (typeof v === 'number' ? v : Date.parse(v));

export const ConnectQuery = z.strictObject({
  connect: queryBool.optional().describe('poke the device (connection request) once the tasks are stored'),
});

export const TASK_STATUSES = ['pending', 'running', 'done', 'fault', 'cancelled'] as const;

export const TaskListQuery = z.strictObject({
  deviceId: z.string().optional(),
  status: csv.pipe(z.array(z.enum(TASK_STATUSES))).optional().describe('comma-separated or repeated'),
  ...pageQuery,
});

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

export const TaskSchema = named(
  'Task',
  z.object({
    id: z.string(),
    deviceId: z.string(),
    seq: z.number().int(),
    type: z.enum(TASK_TYPES).describe('what TaskRequest creates, or provisionXmpp / provisionStun (the registry\'s own XMPP / STUN set-up)'),
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
