import type { DeviceRegisteredEvent, RegistrationSource, TaskDoneEvent, TaskFaultEvent } from '@acs/contracts';
import type { RegistryDeps } from './deps.js';
import type { Device, JsonValue, Task, TaskType } from './store/types.js';

/** The TR-069 RPC each task kind becomes (refresh is several). */
export const TASK_RPC_NAME: Record<TaskType, string> = {
  getParameterValues: 'GetParameterValues',
  setParameterValues: 'SetParameterValues',
  getParameterNames: 'GetParameterNames',
  addObject: 'AddObject',
  deleteObject: 'DeleteObject',
  setParameterAttributes: 'SetParameterAttributes',
  getParameterAttributes: 'GetParameterAttributes',
  reboot: 'Reboot',
  factoryReset: 'FactoryReset',
  download: 'Download',
  scheduleInform: 'ScheduleInform',
  getRPCMethods: 'GetRPCMethods',
  refresh: 'refresh',
  provisionXmpp: 'provisionXmpp',
  provisionStun: 'provisionStun',
};

const iso = (ms: number) => new Date(ms).toISOString();

// Events are fire-and-forget (the ACS_EVENTS stream captures them); a publish failure must not
// undo a result the store already holds, so it is logged, not thrown.
function publish(deps: RegistryDeps, subject: string, payload: object): void {
  try {
    deps.bus.publish(subject, payload);
  } catch (err) {
    deps.logger.warn({ err, subject }, 'event not published');
  }
}

export function publishTaskDone(deps: RegistryDeps, task: Task, sessionId: string | undefined): void {
  const event: TaskDoneEvent = {
    deviceId: task.deviceId,
    taskId: task.id,
    name: TASK_RPC_NAME[task.type],
    ...(sessionId ? { sessionId } : {}),
    completedAt: iso(task.finishedAt ?? deps.clock()),
  };
  publish(deps, deps.subjects.evt.taskDone(task.deviceId), event);
}

export function publishTaskFault(
  deps: RegistryDeps,
  task: Task,
  fault: { code: number | string; message: string; detail?: JsonValue },
  sessionId: string | undefined,
): void {
  const event: TaskFaultEvent = {
    deviceId: task.deviceId,
    taskId: task.id,
    name: TASK_RPC_NAME[task.type],
    ...(sessionId ? { sessionId } : {}),
    fault: { code: fault.code, message: fault.message, ...(fault.detail !== undefined ? { detail: fault.detail } : {}) },
    retries: Math.max(0, task.attempts - 1),
    failedAt: iso(deps.clock()),
  };
  publish(deps, deps.subjects.evt.taskFault(task.deviceId), event);
}

export function publishDeviceRegistered(deps: RegistryDeps, device: Device, via: RegistrationSource, deviceTypeName: string | undefined): void {
  const event: DeviceRegisteredEvent = {
    deviceId: device.id,
    deviceIdStruct: { manufacturer: device.manufacturer ?? '', oui: device.oui, productClass: device.productClass, serialNumber: device.serialNumber },
    ...(deviceTypeName ? { deviceType: deviceTypeName.slice(0, 128) } : {}),
    via,
    registeredAt: iso(device.createdAt),
  };
  publish(deps, deps.subjects.evt.deviceRegistered(device.id), event);
}
