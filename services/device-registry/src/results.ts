import type { RecordResultReply, RecordResultRequest } from '@acs/contracts';
import type { CpeResponse, Fault as CwmpFault } from '@acs/cwmp';
import type { RegistryDeps } from './deps.js';
import { learnConnectionRequestAuth, storableValue } from './learned-credentials.js';
import { publishTaskDone, publishTaskFault } from './events.js';
import { subtreeBase } from './store/parameter-paths.js';
import type { JsonValue, ParameterUpdate, Task } from './store/types.js';
import { progressOf, systemSetArgs, toJson } from './task-meta.js';
import { commandKeyOf, xsdLocalName } from './tasks-to-rpc.js';
import { advanceStun, stunExpectedResponse, stunProgressOf, udpAddressParameter } from './stun/provision-task.js';
import { advanceXmpp, xmppExpectedResponse, xmppProgressOf, xmppStepTable } from './xmpp/provision-task.js';

/** The registry was told about a task it cannot match to the device or the session. */
export class UnknownTaskError extends Error {
  override readonly name = 'UnknownTaskError';
  readonly code = 'NOT_FOUND';
  constructor(
    readonly taskId: string,
    readonly deviceId: string,
  ) {
    super(`task ${taskId} of device ${deviceId} not found`);
  }
}

/** The CPE answered with a response that is not the one to the RPC we sent. */
const UNEXPECTED_RESPONSE = 'UNEXPECTED_RESPONSE';

const EXPECTED_RESPONSE: Record<Task['type'], string | null> = {
  getParameterValues: 'GetParameterValuesResponse',
  setParameterValues: 'SetParameterValuesResponse',
  getParameterNames: 'GetParameterNamesResponse',
  addObject: 'AddObjectResponse',
  deleteObject: 'DeleteObjectResponse',
  setParameterAttributes: 'SetParameterAttributesResponse',
  getParameterAttributes: 'GetParameterAttributesResponse',
  reboot: 'RebootResponse',
  factoryReset: 'FactoryResetResponse',
  download: 'DownloadResponse',
  scheduleInform: 'ScheduleInformResponse',
  getRPCMethods: 'GetRPCMethodsResponse',
  // Depend on the step.
  refresh: null,
  provisionXmpp: null,
  provisionStun: null,
};

const storedType = (type: string) => (type.includes(':') ? type : `xsd:${type}`);

/**
 * sessionResult: applies what the CPE answered to the task's RPC. A response updates the tree and
 * completes the task (or moves a refresh to its next step); a CWMP fault fails it (retried by
 * maxAttempts, recorded as a Fault); `timeout` puts it back in the queue for a later session.
 * A result for a task that is no longer running (a duplicate) changes nothing.
 */
export async function recordResult(deps: RegistryDeps, req: RecordResultRequest): Promise<RecordResultReply> {
  const { store } = deps;
  const now = deps.clock();
  const task = await store.getTask(req.taskId);
  if (task === null || task.deviceId !== req.deviceId) throw new UnknownTaskError(req.taskId, req.deviceId);
  const claimedBy = progressOf(task)?.sessionId;
  if (task.status !== 'running' || (claimedBy !== undefined && claimedBy !== req.sessionId)) {
    // A duplicate, or a late answer from a session whose task was released and claimed again since.
    deps.logger.warn({ deviceId: req.deviceId, sessionId: req.sessionId, taskId: task.id, status: task.status, claimedBy }, 'stale result ignored');
    return { ok: true };
  }
  const { outcome } = req;
  if ('timeout' in outcome) {
    await store.releaseTask(task.id, now);
    return { ok: true };
  }
  if ('fault' in outcome) {
    await faultTask(deps, task, outcome.fault, req.sessionId, now);
    return { ok: true };
  }
  const response = outcome.response;
  const expected = expectedResponse(task);
  if (response.name !== expected) {
    await failWith(deps, task, { code: UNEXPECTED_RESPONSE, message: `expected ${String(expected)}, got ${response.name}` }, null, req.sessionId, now);
    return { ok: true };
  }
  const applied = await applyResponse(deps, task, response, req.sessionId, now);
  const result = applied === CONTINUES ? applied : task.type === 'provisionXmpp' ? await xmppStepDone(deps, task, response, now) : task.type === 'provisionStun' ? await stunStepDone(deps, task, response, now) : applied;
  if (result === CONTINUES) return { ok: true };
  const done = await store.completeTask(task.id, result, now);
  if (done) publishTaskDone(deps, done, req.sessionId);
  return { ok: true };
}

const CONTINUES = Symbol('continues');

function expectedResponse(task: Task): string | null {
  if (task.type === 'refresh') return progressOf(task)?.phase === 'values' ? 'GetParameterValuesResponse' : 'GetParameterNamesResponse';
  const xmpp = xmppProgressOf(task);
  if (xmpp !== null) return xmppExpectedResponse(xmpp);
  const stun = stunProgressOf(task);
  if (stun !== null) return stunExpectedResponse(stun);
  return EXPECTED_RESPONSE[task.type];
}

/** A provisionXmpp step answered: its next step is saved (and handed out by session.next), or the task is done. */
async function xmppStepDone(deps: RegistryDeps, task: Task, response: CpeResponse, now: number): Promise<JsonValue | typeof CONTINUES> {
  const p = xmppProgressOf(task);
  if (task.type !== 'provisionXmpp' || p === null) return { response: response.name };
  const advanced = advanceXmpp(task, p, response);
  if ('done' in advanced) return advanced.done;
  await deps.store.setTaskProgress(task.id, toJson(advanced.next), now);
  return CONTINUES;
}

/**
 * A provisionStun step answered: after the SPV comes the SPA (saved for session.next), after the SPA the task is done
 * and the tree knows the address is under active notification. The SPV's values stay out of the tree: the task
 * never holds them (the password least of all), and the next refresh reads them back.
 */
async function stunStepDone(deps: RegistryDeps, task: Task, response: CpeResponse, now: number): Promise<JsonValue | typeof CONTINUES> {
  const p = stunProgressOf(task);
  if (task.type !== 'provisionStun' || p === null) return { response: response.name };
  const advanced = advanceStun(p, response);
  if ('next' in advanced) {
    await deps.store.setTaskProgress(task.id, toJson(advanced.next), now);
    return CONTINUES;
  }
  await deps.store.upsertParameters(task.deviceId, [{ path: udpAddressParameter(task.args.root), notification: 2 }], now);
  return advanced.done;
}

async function applyResponse(deps: RegistryDeps, task: Task, response: CpeResponse, sessionId: string, now: number): Promise<JsonValue | typeof CONTINUES> {
  const { store } = deps;
  const id = task.deviceId;
  const xmpp = xmppProgressOf(task);
  // The table a provisionXmpp step lists or adds to: its answer updates the tree like a plain GPN or AddObject.
  const xmppTable = task.type === 'provisionXmpp' && xmpp !== null ? xmppStepTable(task, xmpp) : null;
  switch (response.name) {
    case 'GetParameterValuesResponse': {
      await store.upsertParameters(id, response.parameterList.map((p) => ({ path: p.name, value: storableValue(p.name, p.value), type: storedType(p.type) })), now);
      const learned = learnConnectionRequestAuth(response.parameterList, deps.secretBox, now);
      if (learned !== null) {
        const device = await store.getDevice(id);
        if (device) await store.upsertDevice({ id, oui: device.oui, productClass: device.productClass, serialNumber: device.serialNumber, connectionRequestAuth: learned }, now);
      }
      if (task.type === 'refresh') return refreshValuesRead(deps, task, response.parameterList.length, now);
      return { parameters: response.parameterList.length };
    }
    case 'GetParameterNamesResponse': {
      const names = response.parameterList.map((p) => p.name);
      await store.upsertParameters(
        id,
        response.parameterList.map((p): ParameterUpdate => ({ path: p.name, writable: p.writable, object: p.name.endsWith('.') })),
        now,
      );
      const path = task.type === 'refresh' ? task.args.path : task.type === 'getParameterNames' ? task.args.parameterPath : (xmppTable ?? '');
      const nextLevel = (task.type === 'getParameterNames' && task.args.nextLevel) || xmppTable !== null;
      const pruned = await pruneAfterNames(deps, id, path, nextLevel, names);
      if (task.type === 'refresh') {
        const leaves = names.filter((n) => !n.endsWith('.'));
        if (leaves.length === 0) return { names: names.length, parameters: 0, pruned };
        const progress = { sessionId, phase: 'values' as const, remaining: leaves, inFlight: 0, read: 0 };
        await store.setTaskProgress(task.id, toJson(progress), now);
        return CONTINUES;
      }
      return { names: names.length, pruned };
    }
    case 'SetParameterValuesResponse': {
      if (task.type !== 'setParameterValues') return { status: response.status };
      const sys = systemSetArgs(task);
      await store.upsertParameters(
        id,
        task.args.parameterList.map((p) => {
          const sealed = sys?.parameterList.find((s) => s.name === p.name)?.sealed === true;
          // Generated secrets never land in the parameter tree in clear.
          const update: ParameterUpdate = { path: p.name, value: sealed ? '' : storableValue(p.name, p.value) };
          if (p.type !== undefined && xsdLocalName(p.type) !== null) update.type = storedType(p.type);
          return update;
        }),
        now,
      );
      if (sys?.purpose === 'onboarding' && sys.credentialId) {
        await store.updateCredential(sys.credentialId, { status: 'active' }, now);
        deps.logger.info({ deviceId: id, credentialId: sys.credentialId }, 'onboarding: per-device credentials active');
      }
      if (sys?.connectionRequestAuth) {
        const device = await store.getDevice(id);
        if (device) {
          await store.upsertDevice(
            { id, oui: device.oui, productClass: device.productClass, serialNumber: device.serialNumber, connectionRequestAuth: sys.connectionRequestAuth },
            now,
          );
        }
      }
      return { status: response.status };
    }
    case 'AddObjectResponse': {
      const table = task.type === 'addObject' ? task.args.objectName : xmppTable;
      if (table !== null) await store.upsertParameters(id, [{ path: `${subtreeBase(table)}${response.instanceNumber}.`, object: true }], now);
      return { instanceNumber: response.instanceNumber, status: response.status };
    }
    case 'DeleteObjectResponse': {
      const removed = task.type === 'deleteObject' ? await store.deleteParameterSubtree(id, task.args.objectName) : 0;
      return { status: response.status, removed };
    }
    case 'GetParameterAttributesResponse': {
      await store.upsertParameters(
        id,
        response.parameterList.map((p) => ({ path: p.name, notification: p.notification, accessList: [...p.accessList] })),
        now,
      );
      return { parameters: response.parameterList.length };
    }
    case 'SetParameterAttributesResponse': {
      if (task.type === 'setParameterAttributes') {
        const updates: ParameterUpdate[] = [];
        for (const p of task.args.parameterList) {
          // Attributes of a partial path apply below it; only exact names are recorded here.
          if (p.name.endsWith('.') || (!p.notificationChange && !p.accessListChange)) continue;
          const u: ParameterUpdate = { path: p.name };
          if (p.notificationChange) u.notification = p.notification;
          if (p.accessListChange) u.accessList = [...p.accessList];
          updates.push(u);
        }
        if (updates.length > 0) await store.upsertParameters(id, updates, now);
      }
      return {};
    }
    case 'DownloadResponse': {
      if (response.status === 1 && task.type === 'download') {
        // TR-069: Status 1 = the transfer completes later and a TransferComplete with this CommandKey follows.
        await store.setTaskProgress(task.id, toJson({ sessionId, phase: 'transfer', commandKey: commandKeyOf(task), since: now }), now);
        return CONTINUES;
      }
      return { status: response.status, startTime: response.startTime, completeTime: response.completeTime };
    }
    case 'GetRPCMethodsResponse':
      return { methodList: [...response.methodList] };
    case 'RebootResponse':
    case 'FactoryResetResponse':
    case 'ScheduleInformResponse':
      return {};
    default:
      return { response: response.name };
  }
}

/** After a GetParameterValues step of a refresh: the next batch, or done. */
async function refreshValuesRead(deps: RegistryDeps, task: Task, received: number, now: number): Promise<JsonValue | typeof CONTINUES> {
  const p = progressOf(task);
  if (p?.phase !== 'values') return { parameters: received };
  const remaining = p.remaining.slice(p.inFlight);
  const read = p.read + received;
  if (remaining.length === 0) return { parameters: read };
  await deps.store.setTaskProgress(task.id, toJson({ ...p, remaining, inFlight: 0, read }), now);
  return CONTINUES;
}

/**
 * After GetParameterNames of `path`: stored names the CPE no longer lists are removed. NextLevel
 * true lists direct children only; NextLevel false the whole subtree, so anything stored below
 * `path` and not listed is gone.
 */
async function pruneAfterNames(deps: RegistryDeps, deviceId: string, path: string, nextLevel: boolean, names: string[]): Promise<number> {
  if (!path.endsWith('.')) return 0;
  const { store } = deps;
  if (nextLevel) return store.pruneMissingInstances(deviceId, path, names);
  const listed = new Set(names);
  const stored = await store.getParameters(deviceId, path);
  let removed = 0;
  let lastRemoved: string | null = null;
  for (const p of stored) {
    if (lastRemoved !== null && p.path.startsWith(lastRemoved)) continue;
    if (listed.has(p.path) || p.path === path) continue;
    // Forced-inform values the CPE does not list are missing too; an object takes its subtree along.
    removed += await store.deleteParameterSubtree(deviceId, p.path);
    lastRemoved = p.path.endsWith('.') ? p.path : null;
  }
  return removed;
}

async function faultTask(deps: RegistryDeps, task: Task, fault: CwmpFault, sessionId: string, now: number): Promise<void> {
  const detail: JsonValue = fault.detail.setParameterValuesFault.length > 0
    ? { setParameterValuesFault: fault.detail.setParameterValuesFault.map((f) => ({ parameterName: f.parameterName, faultCode: f.faultCode, faultString: f.faultString })) }
    : null;
  await failWith(deps, task, { code: String(fault.detail.faultCode), message: fault.detail.faultString || fault.faultstring }, detail, sessionId, now);
}

async function failWith(deps: RegistryDeps, task: Task, fault: { code: string; message: string }, detail: JsonValue | null, sessionId: string, now: number): Promise<void> {
  const { store } = deps;
  const failed = await store.failTask(task.id, fault, now);
  if (failed === null) return;
  await store.recordFault({ deviceId: task.deviceId, taskId: task.id, code: fault.code, message: fault.message, detail: { sessionId, ...(detail && typeof detail === 'object' && !Array.isArray(detail) ? detail : {}) } }, now);
  const sys = systemSetArgs(task);
  if (failed.status === 'fault' && sys?.purpose === 'onboarding' && sys.credentialId) {
    // The CPE keeps its shared credentials; the generated ones would admit nobody and are retired.
    await store.updateCredential(sys.credentialId, { status: 'disabled' }, now);
    deps.logger.warn({ deviceId: task.deviceId, credentialId: sys.credentialId, fault }, 'onboarding failed; device stays on the shared credentials');
  }
  const code = /^\d+$/.test(fault.code) ? Number(fault.code) : fault.code;
  publishTaskFault(deps, failed, { code, message: fault.message, ...(detail !== null ? { detail } : {}) }, sessionId);
}

/** TransferComplete / a late Download outcome for the task that is waiting on `commandKey`. */
export async function reconcileTransfer(deps: RegistryDeps, deviceId: string, commandKey: string, fault: { faultCode: number; faultString: string }, result: JsonValue, sessionId: string): Promise<Task | null> {
  const { store } = deps;
  const now = deps.clock();
  const running = (await store.openTasks(deviceId)).filter((t) => t.status === 'running');
  const task = running.find((t) => {
    const p = progressOf(t);
    return t.type === 'download' && p?.phase === 'transfer' && p.commandKey === commandKey;
  });
  if (task === undefined) return null;
  if (fault.faultCode === 0) {
    const done = await store.completeTask(task.id, result, now);
    if (done) publishTaskDone(deps, done, sessionId);
    return done;
  }
  await failWith(deps, task, { code: String(fault.faultCode), message: fault.faultString }, result, sessionId, now);
  return store.getTask(task.id);
}
