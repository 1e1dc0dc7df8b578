import { z } from 'zod';
import { ERROR_CODE_VALUES } from './errors.js';
import { createParser } from './validation.js';

// Shared building blocks. Timestamps are ISO 8601 strings with a zone; ids are opaque non-empty strings.
const timestamp = z.iso.datetime({ offset: true });
const deviceId = z.string().min(1).max(1024);
const requestId = z.string().min(1).max(128);
const sessionId = z.string().min(1).max(128);
const taskId = z.string().min(1).max(128);
const latencyMs = z.number().finite().nonnegative();

// TR-069 caps ConnectionRequestUsername/Password at 256 characters.
export const ConnreqCredentialsSchema = z.object({
  username: z.string().max(256),
  password: z.string().max(256),
});

/** `acs.cmd.poke`: reach this device now through whatever transport works. */
export const PokeCommandSchema = z.object({ deviceId, requestId });

/** The connection-request transports (a worker each) and what a poke can end in; every other list derives from these. */
export const CONNREQ_TRANSPORTS = ['http', 'xmpp', 'udp'] as const;
export const CONNREQ_OUTCOMES = ['accepted', 'auth_failed', 'unreachable', 'timeout', 'rejected', 'no_route'] as const;
export type ConnreqTransport = (typeof CONNREQ_TRANSPORTS)[number];
export type ConnreqOutcome = (typeof CONNREQ_OUTCOMES)[number];

export function isConnreqTransport(value: unknown): value is ConnreqTransport {
  return (CONNREQ_TRANSPORTS as readonly unknown[]).includes(value);
}

/** One earlier transport attempt of the same poke, carried forward so the final event can say what was tried. */
export const ConnreqAttemptSchema = z.object({
  transport: z.enum(CONNREQ_TRANSPORTS),
  outcome: z.enum(CONNREQ_OUTCOMES),
  detail: z.string().max(2048).optional(),
  latencyMs,
});

/**
 * The router's fallback plan: when this transport does not end `accepted`, the worker publishes the next command
 * (durably, same requestId-derived msgId) instead of the final event, so one poke still ends in exactly one event.
 */
export const ConnreqFallbackSchema = z.object({
  transport: z.enum(CONNREQ_TRANSPORTS),
  /** The complete command for that transport's subject, minus `fallback`/`attempts` (the worker fills those). */
  command: z.record(z.string(), z.unknown()),
});

const connreqCommon = {
  requestId,
  deviceId,
  /** After this instant the worker reports `timeout` without trying. */
  deadline: timestamp,
  /** Instant the poke was accepted by the router; latencies in the final event are measured from it. */
  issuedAt: timestamp.optional(),
  fallback: z.array(ConnreqFallbackSchema).max(4).default([]),
  attempts: z.array(ConnreqAttemptSchema).max(8).default([]),
};

/** What every transport's command carries: the fields a connection-request worker handles without the transport. */
export type ConnreqCommandBase = z.output<z.ZodObject<typeof connreqCommon>>;

/** `acs.cmd.connreq.http`: an HTTP GET with Digest (or Basic if allowed) to ConnectionRequestURL (cwmp-protocol §7). */
export const ConnreqHttpCommandSchema = z.object({
  ...connreqCommon,
  // TR-069 Amendment 2: the connection request is plain HTTP, never HTTPS.
  url: z.url({ protocol: /^http$/ }),
  credentials: ConnreqCredentialsSchema.optional(),
  allowBasicAuth: z.boolean().default(false),
  /**
   * How the worker reaches the URL, e.g. through a VPN: a local source address to bind, or an HTTP proxy.
   * Set by the router from the device type's connection-request policy.
   */
  egress: z
    .object({
      localAddress: z.union([z.ipv4(), z.ipv6()]).optional(),
      proxyUrl: z.url({ protocol: /^https?$/ }).optional(),
    })
    .optional(),
});

/** `acs.cmd.connreq.xmpp`: an Annex K connectionRequest IQ to the CPE's ConnReqJabberID (cwmp-protocol §9). */
export const ConnreqXmppCommandSchema = z.object({
  ...connreqCommon,
  jid: z.string().min(3).max(3071).regex(/^[^@/\s]+@[^@/\s]+(\/.+)?$/, 'expected local@domain[/resource]'),
  credentials: ConnreqCredentialsSchema,
});

/** `acs.cmd.connreq.udp`: an Annex G signed datagram to the NAT binding learnt by STUN (cwmp-protocol §8). */
export const ConnreqUdpCommandSchema = z.object({
  ...connreqCommon,
  host: z.union([z.ipv4(), z.ipv6()]),
  port: z.number().int().min(1).max(65_535),
  credentials: ConnreqCredentialsSchema,
  /**
   * When the registry last had this address confirmed (the device's last Inform or STUN binding event). The worker
   * prefers a newer binding its STUN server holds, and reports `no_route` for an old address with no live binding.
   */
  addressSeenAt: timestamp.optional(),
});

/** `acs.evt.connreq.<id>`: the result of one poke. `transport` is `none` exactly when no transport could be tried. */
export const ConnreqEventSchema = z
  .object({
    requestId,
    deviceId,
    transport: z.enum([...CONNREQ_TRANSPORTS, 'none']),
    outcome: z.enum(CONNREQ_OUTCOMES),
    detail: z.string().max(2048).optional(),
    latencyMs,
    /** Earlier transports tried for this poke (fallback), oldest first. */
    attempts: z.array(ConnreqAttemptSchema).max(8).optional(),
  })
  .refine((e) => (e.transport === 'none') === (e.outcome === 'no_route'), {
    message: 'transport is "none" if and only if outcome is "no_route"',
    path: ['transport'],
  });

/** TR-069 DeviceIdStruct, fields camelCase. */
export const DeviceIdStructSchema = z.object({
  manufacturer: z.string().max(64),
  oui: z.string().max(6),
  productClass: z.string().max(64),
  serialNumber: z.string().max(64),
});

/** One EventStruct of an Inform (`EventCode` like `1 BOOT`, `M Reboot`; `CommandKey` may be empty). */
export const InformEventCodeSchema = z.object({
  eventCode: z.string().min(1).max(64),
  commandKey: z.string().max(32),
});

export const ParameterValueSchema = z.object({
  name: z.string().min(1).max(256),
  value: z.string(),
  /** `xsi:type` as sent, e.g. `xsd:string`, `xsd:unsignedInt`. */
  type: z.string().min(1).max(64),
});

/** `acs.evt.inform.<id>`: published once the registry has recorded the Inform and the InformResponse went out. */
export const InformEventSchema = z.object({
  deviceId,
  sessionId,
  receivedAt: timestamp,
  cwmpVersion: z.string().regex(/^1\.[0-4]$/),
  deviceIdStruct: DeviceIdStructSchema,
  events: z.array(InformEventCodeSchema),
  currentTime: z.string().optional(),
  retryCount: z.number().int().nonnegative(),
  parameters: z.array(ParameterValueSchema),
});

/** `acs.evt.session.<id>.started`. */
export const SessionStartedEventSchema = z.object({
  deviceId,
  sessionId,
  startedAt: timestamp,
  /** EventCodes of the opening Inform: `6 CONNECTION REQUEST` here closes a poke's loop. */
  eventCodes: z.array(z.string().min(1).max(64)),
  /** With `6 CONNECTION REQUEST`: the requestId of the device's most recent poke, when one is known. */
  requestId: requestId.optional(),
});

export const SESSION_OUTCOMES = ['completed', 'faulted', 'timeout', 'aborted'] as const;

/** One RPC the ACS ran during a session, with how it ended. */
export const SessionRpcSchema = z.object({
  /** TR-069 RPC name, e.g. `GetParameterValues`. */
  name: z.string().min(1).max(64),
  taskId: taskId.optional(),
  outcome: z.enum(['ok', 'fault']),
  faultCode: z.number().int().optional(),
});

/** `acs.evt.session.<id>.ended`: what ran in the session. */
export const SessionEndedEventSchema = z.object({
  deviceId,
  sessionId,
  startedAt: timestamp,
  endedAt: timestamp,
  durationMs: latencyMs,
  outcome: z.enum(SESSION_OUTCOMES),
  eventCodes: z.array(z.string().min(1).max(64)),
  rpcs: z.array(SessionRpcSchema),
  tasksDone: z.array(taskId),
  tasksFaulted: z.array(taskId),
});

/** `acs.evt.task.<id>.done`. */
export const TaskDoneEventSchema = z.object({
  deviceId,
  taskId,
  /** Task kind, usually the TR-069 RPC it became (`SetParameterValues`, `Reboot`, ...). */
  name: z.string().min(1).max(64),
  sessionId: sessionId.optional(),
  completedAt: timestamp,
});

/** A CWMP fault (TR-069 A.5) or an ACS-side failure of a task. */
export const TaskFaultDetailSchema = z.object({
  /** CWMP FaultCode (9000-9899, 8000-8899) or an ACS code such as `timeout`. */
  code: z.union([z.number().int(), z.string().min(1).max(64)]),
  message: z.string().max(2048),
  detail: z.unknown().optional(),
});

/** `acs.evt.task.<id>.fault`. */
export const TaskFaultEventSchema = z.object({
  deviceId,
  taskId,
  name: z.string().min(1).max(64),
  sessionId: sessionId.optional(),
  fault: TaskFaultDetailSchema,
  retries: z.number().int().nonnegative(),
  failedAt: timestamp,
});

export const REGISTRATION_SOURCES = ['device_credential', 'device_type', 'onboarding', 'nbi'] as const;

/** `acs.evt.device.<id>.registered`: a device became known (first Inform via a type credential, or the NBI). */
export const DeviceRegisteredEventSchema = z.object({
  deviceId,
  deviceIdStruct: DeviceIdStructSchema,
  deviceType: z.string().min(1).max(128).optional(),
  via: z.enum(REGISTRATION_SOURCES),
  registeredAt: timestamp,
});

/** `<prefix>.dlq.<subject>`: a message that failed validation or exhausted its deliveries, kept for inspection. */
export const DeadLetterSchema = z.object({
  subject: z.string().min(1),
  reason: z.enum(ERROR_CODE_VALUES),
  message: z.string(),
  issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string(), code: z.string() })).optional(),
  /** The original bytes, base64, so nothing is lost even when they were not JSON. */
  payloadBase64: z.string(),
  headers: z.record(z.string(), z.array(z.string())).optional(),
  deliveryCount: z.number().int().nonnegative().optional(),
  receivedAt: timestamp,
});

/** The reply of any registry endpoint that failed: a code from `ERROR_CODES`, never a stack trace. */
export const ErrorReplySchema = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.enum(ERROR_CODE_VALUES),
    message: z.string(),
    issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string(), code: z.string() })).optional(),
  }),
});

export type ConnreqCredentials = z.infer<typeof ConnreqCredentialsSchema>;
export type PokeCommand = z.infer<typeof PokeCommandSchema>;
export type ConnreqHttpCommand = z.infer<typeof ConnreqHttpCommandSchema>;
export type ConnreqXmppCommand = z.infer<typeof ConnreqXmppCommandSchema>;
export type ConnreqUdpCommand = z.infer<typeof ConnreqUdpCommandSchema>;
export type ConnreqEvent = z.infer<typeof ConnreqEventSchema>;
export type ConnreqAttempt = z.infer<typeof ConnreqAttemptSchema>;
export type ConnreqFallback = z.infer<typeof ConnreqFallbackSchema>;
export type DeviceIdStruct = z.infer<typeof DeviceIdStructSchema>;
export type InformEventCode = z.infer<typeof InformEventCodeSchema>;
export type ParameterValue = z.infer<typeof ParameterValueSchema>;
export type InformEvent = z.infer<typeof InformEventSchema>;
export type SessionStartedEvent = z.infer<typeof SessionStartedEventSchema>;
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];
export type SessionRpc = z.infer<typeof SessionRpcSchema>;
export type SessionEndedEvent = z.infer<typeof SessionEndedEventSchema>;
export type TaskDoneEvent = z.infer<typeof TaskDoneEventSchema>;
export type TaskFaultDetail = z.infer<typeof TaskFaultDetailSchema>;
export type TaskFaultEvent = z.infer<typeof TaskFaultEventSchema>;
export type RegistrationSource = (typeof REGISTRATION_SOURCES)[number];
export type DeviceRegisteredEvent = z.infer<typeof DeviceRegisteredEventSchema>;
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
export type ErrorReply = z.infer<typeof ErrorReplySchema>;

export const parsePokeCommand = createParser('PokeCommand', PokeCommandSchema);
export const parseConnreqHttpCommand = createParser('ConnreqHttpCommand', ConnreqHttpCommandSchema);
export const parseConnreqXmppCommand = createParser('ConnreqXmppCommand', ConnreqXmppCommandSchema);
export const parseConnreqUdpCommand = createParser('ConnreqUdpCommand', ConnreqUdpCommandSchema);
export const parseConnreqEvent = createParser('ConnreqEvent', ConnreqEventSchema);
export const parseInformEvent = createParser('InformEvent', InformEventSchema);
export const parseSessionStartedEvent = createParser('SessionStartedEvent', SessionStartedEventSchema);
export const parseSessionEndedEvent = createParser('SessionEndedEvent', SessionEndedEventSchema);
export const parseTaskDoneEvent = createParser('TaskDoneEvent', TaskDoneEventSchema);
export const parseTaskFaultEvent = createParser('TaskFaultEvent', TaskFaultEventSchema);
export const parseDeviceRegisteredEvent = createParser('DeviceRegisteredEvent', DeviceRegisteredEventSchema);
export const parseDeadLetter = createParser('DeadLetter', DeadLetterSchema);
export const parseErrorReply = createParser('ErrorReply', ErrorReplySchema);
