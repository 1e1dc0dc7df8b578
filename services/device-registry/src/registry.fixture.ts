// Test wiring shared by the registry's unit tests: the real embedded adapters (SQLite in memory,
// the in-process bus), a controllable clock, and an event recorder. Not part of the build.
import { createHash, randomBytes } from 'node:crypto';
import { createMemoryBus, type MemoryBus } from '@acs/bus';
import { createSubjects, type RecordInformRequest, type Subjects, type VerifyCredentialsRequest } from '@acs/contracts';
import type { Inform, ParameterValueStruct } from '@acs/cwmp';
import { deviceIdFromParts } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import type { RegistryPolicy } from './deps.js';
import { createRegistry, type Registry, type RegistryOptions } from './registry.js';
import { createSecretBox, hashForBasic, hashForDigest, type SecretBox } from './secrets.js';
import { createSqliteDeviceStore, type SqliteDeviceStore } from './store/sqlite/sqlite-device-store.js';

export const REALM = 'test-realm';
export const T0 = Date.UTC(2026, 0, 1);

export interface RecordedEvent {
  subject: string;
  payload: Record<string, unknown>;
}

export interface Fixture {
  registry: Registry;
  store: SqliteDeviceStore;
  bus: MemoryBus;
  subjects: Subjects;
  secretBox: SecretBox;
  now(): number;
  advance(ms: number): void;
  events: RecordedEvent[];
  /** Resolves once an event on `subject` was seen (polls, 2 s deadline). */
  waitForEvent(subject: string): Promise<RecordedEvent>;
  close(): Promise<void>;
}

export async function makeFixture(policy: Partial<RegistryPolicy> = {}, extra: Pick<RegistryOptions, 'xmppAccounts' | 'stunCredentials'> & Partial<Pick<RegistryOptions, 'logger'>> = {}): Promise<Fixture> {
  const store = createSqliteDeviceStore({ filename: ':memory:' });
  const bus = createMemoryBus();
  const subjects = createSubjects('test');
  const secretBox = createSecretBox(randomBytes(32).toString('base64'));
  let now = T0;
  const events: RecordedEvent[] = [];
  bus.subscribe(subjects.evt.all, (msg) => {
    events.push({ subject: msg.subject, payload: JSON.parse(Buffer.from(msg.data).toString('utf8')) as Record<string, unknown> });
  });
  await bus.flush();
  const registry = createRegistry({
    store,
    bus,
    subjects,
    secretBox,
    realm: REALM,
    clock: () => now,
    policy,
    ...extra,
    logger: extra.logger ?? createLogger({ service: 'registry-test', level: 'silent' }),
  });
  return {
    registry,
    store,
    bus,
    subjects,
    secretBox,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    events,
    async waitForEvent(subject) {
      const deadline = Date.now() + 2_000;
      for (;;) {
        const hit = events.find((e) => e.subject === subject);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no event on ${subject}; saw ${events.map((e) => e.subject).join(', ') || 'none'}`);
        await new Promise((r) => setImmediate(r));
      }
    },
    async close() {
      await bus.close();
      await store.close();
    },
  };
}

export interface TestCpe {
  oui: string;
  productClass: string;
  serialNumber: string;
  manufacturer?: string;
  root?: 'Device.' | 'InternetGatewayDevice.';
}

export function cpeId(cpe: TestCpe): string {
  return deviceIdFromParts(cpe.oui, cpe.productClass, cpe.serialNumber);
}

export function makeInform(cpe: TestCpe, events: string[], params: Partial<Record<string, string>> = {}): Inform {
  const root = cpe.root ?? 'Device.';
  const base: Record<string, string> = {
    [`${root}DeviceInfo.HardwareVersion`]: 'HW1',
    [`${root}DeviceInfo.SoftwareVersion`]: 'SW1',
    [`${root}ManagementServer.ParameterKey`]: '',
    [`${root}ManagementServer.ConnectionRequestURL`]: 'http://192.0.2.10:7547/cr',
  };
  const merged = { ...base, ...params };
  const parameterList: ParameterValueStruct[] = Object.entries(merged)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => ({ name, value, type: 'string' }));
  return {
    name: 'Inform',
    deviceId: { manufacturer: cpe.manufacturer ?? 'ACME', oui: cpe.oui, productClass: cpe.productClass, serialNumber: cpe.serialNumber },
    event: events.map((eventCode) => ({ eventCode, commandKey: '' })),
    maxEnvelopes: 1,
    currentTime: '2026-01-01T00:00:00Z',
    retryCount: 0,
    parameterList,
  };
}

export function informRequest(
  f: Fixture,
  cpe: TestCpe,
  opts: { sessionId: string; events: string[]; params?: Partial<Record<string, string>>; auth: RecordInformRequest['auth'] },
): RecordInformRequest {
  return {
    sessionId: opts.sessionId,
    deviceId: cpeId(cpe),
    cwmpVersion: '1.2',
    inform: makeInform(cpe, opts.events, opts.params),
    sourceIp: '192.0.2.10',
    auth: opts.auth,
    receivedAt: new Date(f.now()).toISOString(),
  };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** What a CPE holding `password` sends (RFC 2617, qop=auth), computed without the registry's code. */
export function digestProof(username: string, password: string, opts: { realm?: string; nonce?: string; uri?: string } = {}): VerifyCredentialsRequest['proof'] {
  const realm = opts.realm ?? REALM;
  const nonce = opts.nonce ?? randomBytes(8).toString('hex');
  const uri = opts.uri ?? '/cwmp/';
  const nc = '00000001';
  const cnonce = randomBytes(4).toString('hex');
  const response = md5(`${md5(`${username}:${realm}:${password}`)}:${nonce}:${nc}:${cnonce}:auth:${md5(`POST:${uri}`)}`);
  return { scheme: 'digest', realm, nonce, uri, method: 'POST', qop: 'auth', nc, cnonce, response };
}

export function verifyRequest(cpe: TestCpe, username: string, proof: VerifyCredentialsRequest['proof']): VerifyCredentialsRequest {
  return {
    deviceId: cpeId(cpe),
    deviceIdStruct: { manufacturer: cpe.manufacturer ?? 'ACME', oui: cpe.oui, productClass: cpe.productClass, serialNumber: cpe.serialNumber },
    username,
    proof,
    sourceIp: '192.0.2.10',
  };
}

/** A type-scoped credential for `typeId`, hashed the way the NBI stores them. */
export async function addTypeCredential(f: Fixture, typeId: string, username: string, password: string) {
  return f.store.createCredential(
    { username, scope: { kind: 'deviceType', deviceTypeId: typeId }, realm: REALM, ha1: hashForDigest(username, REALM, password), basicHash: await hashForBasic(password) },
    f.now(),
  );
}

export async function addDeviceCredential(f: Fixture, deviceId: string, username: string, password: string) {
  return f.store.createCredential(
    { username, scope: { kind: 'device', deviceId }, realm: REALM, ha1: hashForDigest(username, REALM, password), basicHash: await hashForBasic(password) },
    f.now(),
  );
}
