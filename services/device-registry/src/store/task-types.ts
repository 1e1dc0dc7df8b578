// The task queue's records: one variant per kind, arguments named after the TR-069 RPC arguments.
import type { EpochMs, JsonValue, NotificationAttribute } from './types.js';

export interface ParameterValueArg {
  name: string;
  value: string;
  /** xsd type, e.g. `xsd:boolean`; when absent the registry uses the type the CPE reported. */
  type?: string;
}

export interface SetParameterAttributesArg {
  name: string;
  notificationChange: boolean;
  notification: NotificationAttribute;
  accessListChange: boolean;
  accessList: string[];
}

export interface TaskArgsByType {
  getParameterValues: { parameterNames: string[] };
  setParameterValues: { parameterList: ParameterValueArg[]; parameterKey?: string };
  getParameterNames: { parameterPath: string; nextLevel: boolean };
  addObject: { objectName: string; parameterKey?: string };
  deleteObject: { objectName: string; parameterKey?: string };
  setParameterAttributes: { parameterList: SetParameterAttributesArg[] };
  getParameterAttributes: { parameterNames: string[] };
  reboot: { commandKey?: string };
  factoryReset: Record<string, never>;
  download: {
    commandKey?: string;
    fileType: string;
    url: string;
    username?: string;
    password?: string;
    fileSize?: number;
    targetFileName?: string;
    delaySeconds?: number;
    successURL?: string;
    failureURL?: string;
  };
  scheduleInform: { delaySeconds: number; commandKey?: string };
  getRPCMethods: Record<string, never>;
  /** Re-read a subtree: GetParameterNames then GetParameterValues below `path`. */
  refresh: { path: string };
  /** System task: configure XMPP connection requests on the CPE (src/xmpp/README.md); several RPCs. */
  provisionXmpp: { root: 'Device.' | 'InternetGatewayDevice.'; keepAliveInterval: number; parameterKey?: string };
  /** System task: configure STUN / UDP connection requests on the CPE (src/stun/README.md); SPV then SPA. */
  provisionStun: { root: 'Device.' | 'InternetGatewayDevice.'; minimumKeepAlivePeriod: number; maximumKeepAlivePeriod: number; parameterKey?: string };
}

export type TaskType = keyof TaskArgsByType;

export const TASK_TYPES = [
  'getParameterValues',
  'setParameterValues',
  'getParameterNames',
  'addObject',
  'deleteObject',
  'setParameterAttributes',
  'getParameterAttributes',
  'reboot',
  'factoryReset',
  'download',
  'scheduleInform',
  'getRPCMethods',
  'refresh',
  'provisionXmpp',
  'provisionStun',
] as const satisfies readonly TaskType[];

/** A task kind with its typed arguments, discriminated on `type`. */
export type TaskSpec = { [K in TaskType]: { type: K; args: TaskArgsByType[K] } }[TaskType];

export type TaskStatus = 'pending' | 'running' | 'done' | 'fault' | 'cancelled';

export interface TaskFault {
  /** CPE fault code (e.g. `9005`) or an ACS-side code. */
  code: string;
  message: string;
}

export interface TaskState {
  id: string;
  deviceId: string;
  /** Position in the device's queue; strictly increasing per device. */
  seq: number;
  status: TaskStatus;
  /** Sessions that claimed the task so far. */
  attempts: number;
  /** Cap on attempts: a fault with attempts below it puts the task back to `pending`. */
  maxAttempts: number;
  expiresAt: EpochMs | null;
  result: JsonValue | null;
  /** The last fault, kept while the task is retried. */
  fault: TaskFault | null;
  /** Higher runs first; equal priorities run in queue order. System work (onboarding, profiles) uses it to go ahead of queued NBI tasks. */
  priority: number;
  /** Where a multi-RPC task stands (e.g. a refresh between its GetParameterNames and GetParameterValues); kept across sessions. */
  progress: JsonValue | null;
  /** Why a `cancelled` task was cancelled. */
  cancelReason: 'user' | 'expired' | null;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  startedAt: EpochMs | null;
  finishedAt: EpochMs | null;
}

export type Task = TaskState & TaskSpec;

export type TaskInput = TaskSpec & {
  id?: string;
  /** Default 3. */
  maxAttempts?: number;
  /** Default 0. */
  priority?: number;
  expiresAt?: EpochMs | null;
};
