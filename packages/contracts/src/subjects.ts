import { SubjectPrefixError } from './errors.js';
import { CONNREQ_TRANSPORTS, isConnreqTransport, type ConnreqTransport } from './payloads.js';
import { decodeSubjectToken, encodeSubjectToken } from './subject-token.js';

/** JetStream stream settings as plain data; the bus adapter maps them onto its technology. */
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  /** `limits`: kept until age/size limits; `workqueue`: removed once acknowledged (one consumer per subject). */
  readonly retention: 'limits' | 'workqueue';
  readonly storage: 'file' | 'memory';
  /** Messages with an already seen `Nats-Msg-Id` inside this window are dropped as duplicates. */
  readonly duplicateWindowMs: number;
  /** 0 means no age limit. */
  readonly maxAgeMs: number;
}

export const DEFAULT_SUBJECT_PREFIX = 'acs';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The registry's micro-service name (`nats micro ls`) and the queue group of its endpoints. */
export const REGISTRY_SERVICE_NAME = 'acs-registry';

/** Queue groups: every replica of a worker joins the same one so each message reaches exactly one of them. */
export const QUEUE_GROUPS = {
  registry: REGISTRY_SERVICE_NAME,
  connreqHttp: 'acs-connreq-http',
  connreqXmpp: 'acs-connreq-xmpp',
  connreqUdp: 'acs-connreq-udp',
} as const;

/** Durable consumer names on the commands stream; replicas sharing one name share its work. */
export const DURABLE_CONSUMERS = {
  poke: 'registry-poke',
  connreqHttp: 'connreq-http',
  connreqXmpp: 'connreq-xmpp',
  connreqUdp: 'connreq-udp',
  /** The registry's consumer of `evt.stun.*.binding` (stores each device's current UDP connection-request address). */
  stunBindings: 'registry-stun-bindings',
} as const;

/** What a concrete subject means, as recovered by `Subjects.parse`. */
export type ParsedSubject =
  | { readonly kind: 'inform' | 'connreq'; readonly deviceId: string }
  | { readonly kind: 'session.started' | 'session.ended'; readonly deviceId: string }
  | { readonly kind: 'task.done' | 'task.fault'; readonly deviceId: string }
  | { readonly kind: 'device.registered'; readonly deviceId: string }
  | { readonly kind: 'stun.binding'; readonly deviceId: string }
  | { readonly kind: 'cmd.poke' }
  | { readonly kind: 'cmd.connreq'; readonly transport: ConnreqTransport }
  | { readonly kind: 'dead-letter'; readonly original: string };

export interface Subjects {
  readonly prefix: string;
  readonly evt: {
    inform(deviceId: string): string;
    sessionStarted(deviceId: string): string;
    sessionEnded(deviceId: string): string;
    taskDone(deviceId: string): string;
    taskFault(deviceId: string): string;
    deviceRegistered(deviceId: string): string;
    connreq(deviceId: string): string;
    stunBinding(deviceId: string): string;
    /** Both patterns together match every event about one device. */
    ofDevice(deviceId: string): readonly [string, string];
    /** Wildcards over all devices. */
    readonly all: string;
    readonly allInforms: string;
    readonly allSessions: string;
    readonly allTasks: string;
    readonly allDevices: string;
    readonly allConnreqs: string;
    readonly allStunBindings: string;
  };
  readonly cmd: {
    readonly poke: string;
    readonly connreq: Readonly<Record<ConnreqTransport, string>>;
    readonly all: string;
  };
  /** Request/reply endpoints of the registry micro service. */
  readonly registry: {
    readonly credentialsVerify: string;
    readonly informRecord: string;
    readonly sessionNext: string;
    readonly sessionResult: string;
    readonly sessionCpeRequest: string;
    /** connreq-stun asks who a STUN username is (and whether integrity is required). */
    readonly stunDevice: string;
    readonly all: string;
  };
  /** Request/reply endpoints of connreq-xmpp: the CPEs' accounts on the XMPP server. */
  readonly xmpp: {
    readonly accountEnsure: string;
    readonly accountRemove: string;
  };
  /** Request/reply endpoints of connreq-stun. */
  readonly stun: {
    /** The STUN settings for a device (any replica answers). */
    readonly credentialsIssue: string;
    /** One replica's: send a datagram from its STUN socket. */
    relay(replica: string): string;
  };
  /** Where an invalid or undeliverable message goes: `<prefix>.dlq.<original subject without prefix>`. */
  deadLetter(originalSubject: string): string;
  readonly deadLetterAll: string;
  readonly streams: {
    readonly events: StreamDefinition;
    readonly commands: StreamDefinition;
    readonly deadLetters: StreamDefinition;
  };
  /** Recognises one of our concrete subjects; `null` for anything else (including bad device tokens). */
  parse(subject: string): ParsedSubject | null;
}

const PREFIX_RE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Builds every subject and stream definition under `prefix` (`acs` by default; e.g. `tenant1.acs` for a shared
 * NATS account). Stream names derive from the prefix: `ACS_EVENTS` for `acs`, `TENANT1_ACS_EVENTS` for `tenant1.acs`.
 */
export function createSubjects(prefix: string = DEFAULT_SUBJECT_PREFIX): Subjects {
  if (!PREFIX_RE.test(prefix)) throw new SubjectPrefixError(prefix);
  const p = prefix;
  const tok = encodeSubjectToken;
  const streamBase = prefix.toUpperCase().replace(/[.-]/g, '_');

  const parse = (subject: string): ParsedSubject | null => {
    if (!subject.startsWith(`${p}.`)) return null;
    const rest = subject.slice(p.length + 1).split('.');
    const device = (token: string | undefined): string | null => {
      if (token === undefined) return null;
      try {
        return decodeSubjectToken(token);
      } catch {
        return null;
      }
    };
    const [area, kind, a, b, ...extra] = rest;
    if (area === 'dlq' && rest.length > 1) return { kind: 'dead-letter', original: `${p}.${rest.slice(1).join('.')}` };
    if (area === 'cmd') {
      if (kind === 'poke' && a === undefined) return { kind: 'cmd.poke' };
      if (kind === 'connreq' && isConnreqTransport(a) && b === undefined) {
        return { kind: 'cmd.connreq', transport: a };
      }
      return null;
    }
    if (area !== 'evt' || extra.length > 0) return null;
    const deviceId = device(a);
    if (deviceId === null) return null;
    if ((kind === 'inform' || kind === 'connreq') && b === undefined) return { kind, deviceId };
    if (kind === 'session' && (b === 'started' || b === 'ended')) return { kind: `session.${b}`, deviceId };
    if (kind === 'task' && (b === 'done' || b === 'fault')) return { kind: `task.${b}`, deviceId };
    if (kind === 'device' && b === 'registered') return { kind: 'device.registered', deviceId };
    if (kind === 'stun' && b === 'binding') return { kind: 'stun.binding', deviceId };
    return null;
  };

  return {
    prefix,
    evt: {
      inform: (id) => `${p}.evt.inform.${tok(id)}`,
      sessionStarted: (id) => `${p}.evt.session.${tok(id)}.started`,
      sessionEnded: (id) => `${p}.evt.session.${tok(id)}.ended`,
      taskDone: (id) => `${p}.evt.task.${tok(id)}.done`,
      taskFault: (id) => `${p}.evt.task.${tok(id)}.fault`,
      deviceRegistered: (id) => `${p}.evt.device.${tok(id)}.registered`,
      connreq: (id) => `${p}.evt.connreq.${tok(id)}`,
      stunBinding: (id) => `${p}.evt.stun.${tok(id)}.binding`,
      ofDevice: (id) => [`${p}.evt.*.${tok(id)}`, `${p}.evt.*.${tok(id)}.*`],
      all: `${p}.evt.>`,
      allInforms: `${p}.evt.inform.*`,
      allSessions: `${p}.evt.session.*.*`,
      allTasks: `${p}.evt.task.*.*`,
      allDevices: `${p}.evt.device.*.*`,
      allConnreqs: `${p}.evt.connreq.*`,
      allStunBindings: `${p}.evt.stun.*.binding`,
    },
    cmd: {
      poke: `${p}.cmd.poke`,
      connreq: Object.fromEntries(CONNREQ_TRANSPORTS.map((t) => [t, `${p}.cmd.connreq.${t}`])) as Record<ConnreqTransport, string>,
      all: `${p}.cmd.>`,
    },
    registry: {
      credentialsVerify: `${p}.registry.credentials.verify`,
      informRecord: `${p}.registry.inform.record`,
      sessionNext: `${p}.registry.session.next`,
      sessionResult: `${p}.registry.session.result`,
      sessionCpeRequest: `${p}.registry.session.cpe-request`,
      stunDevice: `${p}.registry.stun.device`,
      all: `${p}.registry.>`,
    },
    xmpp: { accountEnsure: `${p}.xmpp.account.ensure`, accountRemove: `${p}.xmpp.account.remove` },
    stun: { credentialsIssue: `${p}.stun.credentials.issue`, relay: (replica) => `${p}.stun.relay.${tok(replica)}` },
    deadLetter: (original) => `${p}.dlq.${original.startsWith(`${p}.`) ? original.slice(p.length + 1) : original}`,
    deadLetterAll: `${p}.dlq.>`,
    streams: {
      events: {
        name: `${streamBase}_EVENTS`,
        subjects: [`${p}.evt.>`],
        retention: 'limits',
        storage: 'file',
        duplicateWindowMs: 2 * 60_000,
        maxAgeMs: 7 * DAY_MS,
      },
      commands: {
        name: `${streamBase}_COMMANDS`,
        subjects: [`${p}.cmd.>`],
        retention: 'workqueue',
        storage: 'file',
        // Dedup by requestId: a caller retrying a poke within 10 minutes does not poke twice.
        duplicateWindowMs: 10 * 60_000,
        // A command nobody took for a day is stale (connreq commands carry their own deadline anyway).
        maxAgeMs: DAY_MS,
      },
      deadLetters: {
        name: `${streamBase}_DEAD_LETTERS`,
        subjects: [`${p}.dlq.>`],
        retention: 'limits',
        storage: 'file',
        duplicateWindowMs: 2 * 60_000,
        maxAgeMs: 14 * DAY_MS,
      },
    },
    parse,
  };
}
