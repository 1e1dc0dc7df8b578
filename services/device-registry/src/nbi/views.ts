// What the NBI shows of stored records: never a password, a hash or a sealed secret.
import type { DeviceView } from '../store/device-store.js';
import type { Credential, Device, DeviceType, Task } from '../store/types.js';

export const REDACTED = '[REDACTED]';

export type DeviceOut = Omit<Device, 'connectionRequestAuth'> & {
  connectionRequestAuth: { username: string; passwordSet: true } | null;
  parameters?: DeviceView['parameters'];
};

export function deviceView(device: DeviceView): DeviceOut {
  const { connectionRequestAuth, ...rest } = device;
  return { ...rest, connectionRequestAuth: connectionRequestAuth ? { username: connectionRequestAuth.username, passwordSet: true } : null };
}

function redactArgs(task: Task): Record<string, unknown> {
  const args = { ...(task.args as Record<string, unknown>) };
  if (typeof args.password === 'string') args.password = REDACTED;
  // Values the registry generated (onboarding, profiles) are kept sealed; even sealed they stay inside.
  if (Array.isArray(args.parameterList)) {
    args.parameterList = args.parameterList.map((p: unknown) =>
      p !== null && typeof p === 'object' && (p as { sealed?: unknown }).sealed === true ? { ...(p as object), value: REDACTED } : p,
    );
  }
  // Registry-internal fields (progress, onboarding links, connection-request auth) are not part of the NBI.
  delete args.connectionRequestAuth;
  return args;
}

export interface TaskOut {
  id: string;
  deviceId: string;
  seq: number;
  type: Task['type'];
  args: Record<string, unknown>;
  status: Task['status'];
  attempts: number;
  maxAttempts: number;
  /** Higher runs first; operator tasks have 0, registry work (onboarding, profiles) more. */
  priority: number;
  expiresAt: number | null;
  result: Task['result'];
  fault: Task['fault'];
  cancelReason: Task['cancelReason'];
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export function taskView(task: Task): TaskOut {
  return {
    id: task.id,
    deviceId: task.deviceId,
    seq: task.seq,
    type: task.type,
    args: redactArgs(task),
    status: task.status,
    attempts: task.attempts,
    maxAttempts: task.maxAttempts,
    priority: task.priority,
    expiresAt: task.expiresAt,
    result: task.result,
    fault: task.fault,
    cancelReason: task.cancelReason,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
  };
}

export interface CpeCredentialOut {
  kind: 'cpe';
  id: string;
  username: string;
  scope: Credential['scope'];
  realm: string;
  status: Credential['status'];
  createdAt: number;
  updatedAt: number;
}

export function credentialView(c: Credential): CpeCredentialOut {
  return { kind: 'cpe', id: c.id, username: c.username, scope: c.scope, realm: c.realm, status: c.status, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

export const CONNREQ_ID_PREFIX = 'connreq:';
/** Id of a device type's own connection-request credentials (for DELETE). */
export const CONNREQ_TYPE_ID_PREFIX = 'connreq-type:';

export interface ConnreqCredentialOut {
  kind: 'connectionRequest';
  id?: string;
  username: string;
  scope: Credential['scope'];
  passwordSet: true;
}

export function connreqView(device: Device): ConnreqCredentialOut | null {
  if (!device.connectionRequestAuth) return null;
  return {
    kind: 'connectionRequest',
    id: CONNREQ_ID_PREFIX + device.id,
    username: device.connectionRequestAuth.username,
    scope: { kind: 'device', deviceId: device.id },
    passwordSet: true,
  };
}

export function connreqTypeView(type: DeviceType): ConnreqCredentialOut | null {
  if (!type.connectionRequestAuth) return null;
  return {
    kind: 'connectionRequest',
    id: CONNREQ_TYPE_ID_PREFIX + type.id,
    username: type.connectionRequestAuth.username,
    scope: { kind: 'deviceType', deviceTypeId: type.id },
    passwordSet: true,
  };
}
