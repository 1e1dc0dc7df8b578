// Builders shared by both adapters, so defaults and normalisation cannot drift between them.
import { randomUUID } from 'node:crypto';
import { CONNREQ_TRANSPORTS, isConnreqTransport } from '@acs/contracts';
import { DEFAULT_TASK_MAX_ATTEMPTS, StoreValidationError } from './device-store.js';
import { DEFAULT_CONNECTION_REQUEST_POLICY, DEFAULT_STUN_PROVISIONING, TASK_TYPES } from './types.js';
import type {
  ConnectionRequestAuth,
  ConnectionRequestInfo,
  ConnectionRequestPolicy,
  ConnectionRequestPolicyInput,
  Credential,
  CredentialInput,
  CredentialPatch,
  Device,
  DeviceType,
  DeviceTypeInput,
  DeviceTypeMatch,
  DeviceTypePatch,
  DeviceUpsert,
  EpochMs,
  Fault,
  FaultInput,
  StoredConnectionRequestAuth,
  StunProvisioning,
  Task,
  TaskInput,
  TypeConnectionRequestAuth,
} from './types.js';

export function newId(): string {
  return randomUUID();
}

export function normaliseTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

const NO_CONNREQ: ConnectionRequestInfo = {
  connectionRequestURL: null,
  udpConnectionRequestAddress: null,
  udpConnectionRequestAddressSeenAt: null,
  natDetected: null,
  connReqJabberID: null,
};

// Every field of an upsert other than identity: `undefined` keeps the stored value, `null` clears it.
const OPTIONAL_DEVICE_FIELDS = ['manufacturer', 'hardwareVersion', 'softwareVersion', 'deviceTypeId', 'lastInformAt', 'lastBootAt', 'lastBootstrapAt', 'sourceIp'] as const;
const CONNECTION_REQUEST_FIELDS = ['connectionRequestURL', 'udpConnectionRequestAddress', 'udpConnectionRequestAddressSeenAt', 'natDetected', 'connReqJabberID'] as const;

/** A stored device's connection-request data with the fields added since it was written as null. */
export function connectionRequestInfo(stored: Partial<ConnectionRequestInfo> | null | undefined): ConnectionRequestInfo {
  return { ...NO_CONNREQ, ...stored };
}

/** What an upsert writes: identity and `updatedAt` always, any other field only when given. */
export type DeviceChanges = Pick<Device, 'oui' | 'productClass' | 'serialNumber' | 'updatedAt'> &
  Partial<Pick<Device, (typeof OPTIONAL_DEVICE_FIELDS)[number] | 'connectionRequestAuth'>> & { connectionRequest: Partial<ConnectionRequestInfo> };

/** The fields an upsert changes, so an adapter can write just those (MongoDB's `$set`) or merge them (mergeDevice). */
export function deviceChanges(input: DeviceUpsert, now: EpochMs): DeviceChanges {
  const changes: DeviceChanges = { oui: input.oui, productClass: input.productClass, serialNumber: input.serialNumber, updatedAt: now, connectionRequest: {} };
  for (const key of OPTIONAL_DEVICE_FIELDS) if (input[key] !== undefined) Object.assign(changes, { [key]: input[key] });
  if (input.connectionRequestAuth !== undefined) changes.connectionRequestAuth = stampConnectionRequestAuth(input.connectionRequestAuth, now);
  const cr = input.connectionRequest ?? {};
  for (const key of CONNECTION_REQUEST_FIELDS) if (cr[key] !== undefined) Object.assign(changes.connectionRequest, { [key]: cr[key] });
  return changes;
}

/** The device after applying an upsert: undefined keeps, null clears. */
export function mergeDevice(existing: Device | null, input: DeviceUpsert, now: EpochMs): Device {
  const base: Device = existing ?? {
    id: input.id,
    manufacturer: null,
    oui: input.oui,
    productClass: input.productClass,
    serialNumber: input.serialNumber,
    hardwareVersion: null,
    softwareVersion: null,
    deviceTypeId: null,
    tags: [],
    lastInformAt: null,
    lastBootAt: null,
    lastBootstrapAt: null,
    sourceIp: null,
    connectionRequest: { ...NO_CONNREQ },
    connectionRequestAuth: null,
    lastPoke: null,
    createdAt: now,
    updatedAt: now,
  };
  const { connectionRequest, ...fields } = deviceChanges(input, now);
  return { ...base, ...fields, connectionRequest: { ...base.connectionRequest, ...connectionRequest } };
}

/** Credentials as stored: stamped with the write's time unless the caller says when they were set. */
export function stampConnectionRequestAuth(auth: ConnectionRequestAuth | null, now: EpochMs): StoredConnectionRequestAuth | null {
  if (auth === null) return null;
  return { username: auth.username, passwordSealed: auth.passwordSealed, updatedAt: auth.updatedAt ?? now, source: auth.source ?? null };
}

/** A full policy from operator input: absent fields take the defaults; transports de-duplicated in their order. */
export function connectionRequestPolicy(input: ConnectionRequestPolicyInput | undefined): ConnectionRequestPolicy {
  const d = DEFAULT_CONNECTION_REQUEST_POLICY;
  const transports = input?.transports ?? d.transports;
  if (!transports.every(isConnreqTransport)) throw new StoreValidationError(`connection-request transports must be among ${CONNREQ_TRANSPORTS.join(', ')}`);
  const deadlineMs = input?.deadlineMs ?? d.deadlineMs;
  if (!Number.isSafeInteger(deadlineMs) || deadlineMs < 1) throw new StoreValidationError('connection-request deadlineMs must be a positive integer');
  return {
    transports: [...new Set(transports)],
    deadlineMs,
    allowBasicAuth: input?.allowBasicAuth ?? d.allowBasicAuth,
    vpn: input?.vpn ?? null,
    xmpp: input?.xmpp ?? null,
    stun: input?.stun ? stunProvisioning(input.stun) : null,
  };
}

/** A full STUN set-up from operator input (absent fields take DEFAULT_STUN_PROVISIONING); TR-181's ranges checked. */
export function stunProvisioning(input: Partial<StunProvisioning>): StunProvisioning {
  const d = DEFAULT_STUN_PROVISIONING;
  const minimumKeepAlivePeriod = input.minimumKeepAlivePeriod ?? d.minimumKeepAlivePeriod;
  const maximumKeepAlivePeriod = input.maximumKeepAlivePeriod ?? d.maximumKeepAlivePeriod;
  if (!Number.isSafeInteger(minimumKeepAlivePeriod) || minimumKeepAlivePeriod < 0) throw new StoreValidationError('STUN minimumKeepAlivePeriod must be an integer ≥ 0');
  if (!Number.isSafeInteger(maximumKeepAlivePeriod) || maximumKeepAlivePeriod < -1) throw new StoreValidationError('STUN maximumKeepAlivePeriod must be an integer ≥ -1');
  if (maximumKeepAlivePeriod !== -1 && maximumKeepAlivePeriod < minimumKeepAlivePeriod) {
    throw new StoreValidationError('STUN maximumKeepAlivePeriod must be -1 (none) or at least minimumKeepAlivePeriod');
  }
  return { requireAuth: input.requireAuth ?? d.requireAuth, minimumKeepAlivePeriod, maximumKeepAlivePeriod };
}

function typeAuth(auth: DeviceTypeInput['connectionRequestAuth'], now: EpochMs): TypeConnectionRequestAuth | null {
  if (!auth) return null;
  if (auth.username === '') throw new StoreValidationError('connection-request username must not be empty');
  return { username: auth.username, passwordSealed: auth.passwordSealed, updatedAt: auth.updatedAt ?? now };
}

function cleanMatch(match: DeviceTypeMatch | undefined): DeviceTypeMatch {
  const out: DeviceTypeMatch = {};
  // Empty strings would match nothing useful; they mean "not a criterion".
  if (match?.oui) out.oui = match.oui.toUpperCase();
  if (match?.productClass) out.productClass = match.productClass;
  if (match?.serialPattern) out.serialPattern = match.serialPattern;
  return out;
}

export function newDeviceType(input: DeviceTypeInput, now: EpochMs): DeviceType {
  if (input.name.trim() === '') throw new StoreValidationError('device type name must not be empty');
  return {
    id: input.id ?? newId(),
    name: input.name,
    match: cleanMatch(input.match),
    catchAll: input.catchAll ?? false,
    priority: input.priority ?? 0,
    onboarding: input.onboarding ?? true,
    profile: input.profile ?? [],
    connectionRequestCredentials: input.connectionRequestCredentials ?? { mode: 'generate', usernameTemplate: 'cr-{serialNumber}', passwordLength: 24 },
    connectionRequestPolicy: connectionRequestPolicy(input.connectionRequestPolicy),
    connectionRequestAuth: typeAuth(input.connectionRequestAuth, now),
    createdAt: now,
    updatedAt: now,
  };
}

export function patchDeviceType(existing: DeviceType, patch: DeviceTypePatch, now: EpochMs): DeviceType {
  if (patch.name !== undefined && patch.name.trim() === '') throw new StoreValidationError('device type name must not be empty');
  return {
    ...existing,
    name: patch.name ?? existing.name,
    match: patch.match === undefined ? existing.match : cleanMatch(patch.match),
    catchAll: patch.catchAll ?? existing.catchAll,
    priority: patch.priority ?? existing.priority,
    onboarding: patch.onboarding ?? existing.onboarding,
    profile: patch.profile ?? existing.profile,
    connectionRequestCredentials: patch.connectionRequestCredentials ?? existing.connectionRequestCredentials,
    connectionRequestPolicy: patch.connectionRequestPolicy === undefined ? existing.connectionRequestPolicy : connectionRequestPolicy(patch.connectionRequestPolicy),
    connectionRequestAuth: patch.connectionRequestAuth === undefined ? existing.connectionRequestAuth : typeAuth(patch.connectionRequestAuth, now),
    updatedAt: now,
  };
}

export function newCredential(input: CredentialInput, now: EpochMs): Credential {
  if (input.username === '') throw new StoreValidationError('credential username must not be empty');
  return {
    id: input.id ?? newId(),
    username: input.username,
    scope: input.scope.kind === 'device' ? { kind: 'device', deviceId: input.scope.deviceId } : { kind: 'deviceType', deviceTypeId: input.scope.deviceTypeId },
    realm: input.realm,
    ha1: input.ha1,
    basicHash: input.basicHash,
    status: input.status ?? 'active',
    createdAt: now,
    updatedAt: now,
  };
}

export function scopeId(scope: Credential['scope']): string {
  return scope.kind === 'device' ? scope.deviceId : scope.deviceTypeId;
}

/** The unique key a credential takes (username within its scope), as a conflict names it. */
export function credentialKey(cred: Credential): string {
  return `${cred.scope.kind}:${scopeId(cred.scope)}:${cred.username}`;
}

const CREDENTIAL_PATCH_FIELDS = ['realm', 'ha1', 'basicHash', 'status'] as const;

/** What a patch changes: the fields it gives, and `updatedAt`. */
export function credentialChanges(patch: CredentialPatch, now: EpochMs): CredentialPatch & Pick<Credential, 'updatedAt'> {
  const changes: CredentialPatch & Pick<Credential, 'updatedAt'> = { updatedAt: now };
  for (const key of CREDENTIAL_PATCH_FIELDS) if (patch[key] !== undefined) Object.assign(changes, { [key]: patch[key] });
  return changes;
}

export function patchCredential(current: Credential, patch: CredentialPatch, now: EpochMs): Credential {
  return { ...current, ...credentialChanges(patch, now) };
}

export function newTask(deviceId: string, seq: number, input: TaskInput, now: EpochMs): Task {
  if (!(TASK_TYPES as readonly string[]).includes(input.type)) throw new StoreValidationError(`unknown task type ${String(input.type)}`);
  const maxAttempts = input.maxAttempts ?? DEFAULT_TASK_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new StoreValidationError('maxAttempts must be a positive integer');
  if (input.priority !== undefined && !Number.isSafeInteger(input.priority)) throw new StoreValidationError('priority must be an integer');
  return {
    id: input.id ?? newId(),
    deviceId,
    seq,
    type: input.type,
    args: input.args,
    status: 'pending',
    attempts: 0,
    maxAttempts,
    priority: input.priority ?? 0,
    progress: null,
    expiresAt: input.expiresAt ?? null,
    result: null,
    fault: null,
    cancelReason: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  } as Task;
}

export function newFault(input: FaultInput, now: EpochMs): Fault {
  return {
    id: input.id ?? newId(),
    deviceId: input.deviceId,
    taskId: input.taskId ?? null,
    code: input.code,
    message: input.message,
    detail: input.detail ?? null,
    retries: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/** An operator retry counts on the fault; the adapter then requeues the fault's task (task-transitions requeue). */
export function retriedFault(fault: Fault, now: EpochMs): Fault {
  return { ...fault, retries: fault.retries + 1, updatedAt: now };
}
