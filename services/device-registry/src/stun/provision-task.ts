// The `provisionStun` system task: give the CPE connreq-stun's server and credentials in one SetParameterValues, then
// turn on active notification of the UDP address it learns, so its Informs tell us every new NAT binding too.
import type { AcsRequest, CpeResponse, ParameterValueStruct } from '@acs/cwmp';
import type { JsonValue, Task } from '../store/types.js';
import { progressOf } from '../task-meta.js';
import { StunCredentialsError, type StunCredentials, type StunSettings } from './credentials.js';

export type StunStep = { step: 'set' } | { step: 'notify' };

export type StunProgress = { sessionId: string; phase: 'stun' } & StunStep;

type ProvisionTask = Extract<Task, { type: 'provisionStun' }>;

/** TR-069 Notification 2: the CPE starts a session when the value changes. */
const ACTIVE_NOTIFICATION = 2;

/** The step of a running provisionStun task; null for any other task. */
export function stunProgressOf(task: Task): StunProgress | null {
  const p = progressOf(task);
  return task.type === 'provisionStun' && p?.phase === 'stun' ? p : null;
}

export function firstStunStep(sessionId: string): StunProgress {
  return { sessionId, phase: 'stun', step: 'set' };
}

export const udpAddressParameter = (root: string): string => `${root}ManagementServer.UDPConnectionRequestAddress`;

export function stunExpectedResponse(p: StunProgress): CpeResponse['name'] {
  return p.step === 'set' ? 'SetParameterValuesResponse' : 'SetParameterAttributesResponse';
}

/**
 * The RPC of the step. The credentials are asked for right before the SetParameterValues that carries them, so the
 * password exists only in this RPC; StunCredentialsError when connreq-stun does not answer.
 */
export async function stunStepRpc(credentials: StunCredentials | undefined, task: ProvisionTask, p: StunProgress): Promise<AcsRequest> {
  if (p.step === 'notify') {
    return {
      name: 'SetParameterAttributes',
      parameterList: [{ name: udpAddressParameter(task.args.root), notificationChange: true, notification: ACTIVE_NOTIFICATION, accessListChange: false, accessList: [] }],
    };
  }
  if (credentials === undefined) throw new StunCredentialsError('no UDP connection-request worker is deployed (REGISTRY_CONNREQ_TRANSPORTS has no udp)');
  const settings = await credentials.issue(task.deviceId);
  return { name: 'SetParameterValues', parameterList: stunParameters(task, settings), parameterKey: task.args.parameterKey ?? '' };
}

function stunParameters(task: ProvisionTask, s: StunSettings): ParameterValueStruct[] {
  const ms = `${task.args.root}ManagementServer.`;
  return [
    { name: `${ms}STUNEnable`, value: 'true', type: 'boolean' },
    { name: `${ms}STUNServerAddress`, value: s.server.address, type: 'string' },
    { name: `${ms}STUNServerPort`, value: String(s.server.port), type: 'unsignedInt' },
    { name: `${ms}STUNUsername`, value: s.username, type: 'string' },
    { name: `${ms}STUNPassword`, value: s.password, type: 'string' },
    { name: `${ms}STUNMinimumKeepAlivePeriod`, value: String(task.args.minimumKeepAlivePeriod), type: 'unsignedInt' },
    // int in TR-098 and TR-181 (-1 = no maximum).
    { name: `${ms}STUNMaximumKeepAlivePeriod`, value: String(task.args.maximumKeepAlivePeriod), type: 'int' },
  ];
}

export type StunAdvance = { next: StunProgress } | { done: JsonValue };

/** What the step's answer means: the next step, or the task's result. */
export function advanceStun(p: StunProgress, response: CpeResponse): StunAdvance {
  if (response.name === 'SetParameterValuesResponse' && p.step === 'set') return { next: { sessionId: p.sessionId, phase: 'stun', step: 'notify' } };
  if (response.name === 'SetParameterAttributesResponse' && p.step === 'notify') return { done: { stunEnabled: true, notification: ACTIVE_NOTIFICATION } };
  throw new RangeError(`provisionStun step ${p.step} cannot take ${response.name}`);
}
