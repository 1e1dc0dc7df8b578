import type { NextActionReply, NextActionRequest } from '@acs/contracts';
import type { AcsRequest } from '@acs/cwmp';
import type { RegistryDeps } from './deps.js';
import { settleEarlierSession } from './earlier-sessions.js';
import { publishTaskFault } from './events.js';
import type { Task } from './store/types.js';
import { progressOf, toJson, type TaskProgress } from './task-meta.js';
import { TaskArgsError, taskToRpc } from './tasks-to-rpc.js';
import { StunCredentialsError } from './stun/credentials.js';
import { firstStunStep, stunProgressOf, stunStepRpc } from './stun/provision-task.js';
import { XmppAccountError } from './xmpp/accounts.js';
import { firstXmppStep, xmppProgressOf, xmppStepRpc } from './xmpp/provision-task.js';

const byPriorityThenQueue = (a: Task, b: Task) => (b.priority ?? 0) - (a.priority ?? 0) || a.seq - b.seq;

/**
 * sessionNext: the next RPC for this session. Running tasks of earlier sessions are settled first
 * (settleEarlierSession). A multi-step task of this session continues first;
 * then pending tasks by priority (system tasks first) and queue order, skipping expired ones and
 * ones that already failed in this session. The chosen task is claimed atomically, so two replicas
 * cannot hand out the same task. `none` when nothing is left.
 */
export async function nextAction(deps: RegistryDeps, req: NextActionRequest): Promise<NextActionReply> {
  const { store } = deps;
  const now = deps.clock();

  const open: Task[] = [];
  for (const task of await store.openTasks(req.deviceId)) {
    const ours = task.status !== 'running' || progressOf(task)?.sessionId === req.sessionId;
    const settled = ours ? task : await settleEarlierSession(deps, task, now);
    if (settled !== null) open.push(settled);
  }
  for (const task of open) {
    const next = task.status === 'running' ? await continueOurs(deps, task, req.sessionId, now) : null;
    if (next !== null) return next;
  }

  const queued = open.filter((t) => t.status === 'pending');
  const expired = (t: Task) => t.expiresAt !== null && t.expiresAt <= now;
  // Expiry is a store-wide sweep: run it only when this device has something to expire.
  if (queued.some(expired)) await store.expireTasks(now);
  const pending = queued.filter((t) => !expired(t) && progressOf(t)?.sessionId !== req.sessionId).sort(byPriorityThenQueue);
  for (const candidate of pending) {
    const task = await store.claimTask(candidate.id, now, toJson(firstStep(candidate, req.sessionId)));
    if (task === null) continue; // another replica or session won it
    try {
      const rpc = await rpcOf(deps, task, progressOf(task));
      deps.logger.debug({ deviceId: req.deviceId, sessionId: req.sessionId, taskId: task.id, rpc: rpc.name }, 'task handed out');
      return { action: 'rpc', rpc, taskId: task.id };
    } catch (err) {
      if (!(err instanceof TaskArgsError) && !isPeerFailure(err)) throw err;
      await failUnsendable(deps, task, err, req, now);
    }
  }
  return { action: 'none' };
}

function firstStep(task: Task, sessionId: string): TaskProgress {
  if (task.type === 'refresh') return { sessionId, phase: 'names' };
  if (task.type === 'provisionXmpp') return firstXmppStep(sessionId);
  if (task.type === 'provisionStun') return firstStunStep(sessionId);
  return { sessionId, phase: 'rpc' };
}

async function rpcOf(deps: RegistryDeps, task: Task, progress: TaskProgress | null): Promise<AcsRequest> {
  const xmpp = xmppProgressOf(task);
  if (task.type === 'provisionXmpp' && xmpp !== null) return xmppStepRpc(deps.xmppAccounts, task, xmpp);
  const stun = stunProgressOf(task);
  if (task.type === 'provisionStun' && stun !== null) return stunStepRpc(deps.stunCredentials, task, stun);
  return taskToRpc(task, { secretBox: deps.secretBox, reportedType: await typeLookup(deps, task), progress });
}

/** The service a system task's step depends on did not answer: a fault retried in a later session. */
const isPeerFailure = (err: unknown): err is XmppAccountError | StunCredentialsError => err instanceof XmppAccountError || err instanceof StunCredentialsError;

/** The next RPC of a multi-step task this session is running (a refresh's next batch, a provisionXmpp/Stun step); else null. */
async function continueOurs(deps: RegistryDeps, task: Task, sessionId: string, now: number): Promise<NextActionReply | null> {
  const p = progressOf(task);
  if (p?.sessionId !== sessionId) return null;
  if (task.type === 'refresh' && p.phase === 'values' && p.remaining.length > 0) {
    const batch: TaskProgress = { ...p, inFlight: Math.min(deps.policy.refreshBatch, p.remaining.length) };
    const updated = await deps.store.setTaskProgress(task.id, toJson(batch), now);
    if (updated === null) return null;
    return { action: 'rpc', rpc: await rpcOf(deps, updated, batch), taskId: task.id };
  }
  if (xmppProgressOf(task) === null && stunProgressOf(task) === null) return null;
  try {
    return { action: 'rpc', rpc: await rpcOf(deps, task, p), taskId: task.id };
  } catch (err) {
    if (!isPeerFailure(err)) throw err;
    await failUnsendable(deps, task, err, { deviceId: task.deviceId, sessionId }, now);
    return null;
  }
}

/**
 * A task whose RPC cannot be built. Bad arguments end it now (retrying cannot fix them); a missing XMPP account or
 * STUN credentials (connreq-xmpp / connreq-stun down) is a fault retried in a later session, as a CPE fault would be.
 */
async function failUnsendable(deps: RegistryDeps, task: Task, err: TaskArgsError | XmppAccountError | StunCredentialsError, req: { deviceId: string; sessionId: string }, now: number): Promise<void> {
  const { store } = deps;
  const fault = { code: err.code, message: err.message };
  let failed = await store.failTask(task.id, fault, now);
  while (err instanceof TaskArgsError && failed !== null && failed.status === 'pending') {
    const again = await store.claimTask(failed.id, now);
    failed = again === null ? null : await store.failTask(again.id, fault, now);
  }
  await store.recordFault({ deviceId: req.deviceId, taskId: task.id, code: fault.code, message: fault.message, detail: { sessionId: req.sessionId } }, now);
  if (failed) publishTaskFault(deps, failed, fault, req.sessionId);
  deps.logger.warn({ deviceId: req.deviceId, sessionId: req.sessionId, taskId: task.id, fault }, 'task RPC could not be built');
}

/** For SetParameterValues entries without a type: the xsd type the CPE reported for that name. */
async function typeLookup(deps: RegistryDeps, task: Task): Promise<(name: string) => string | null> {
  if (task.type !== 'setParameterValues') return () => null;
  const types = new Map<string, string>();
  for (const p of task.args.parameterList) {
    if (p.type !== undefined) continue;
    const [stored] = (await deps.store.getParameters(task.deviceId, p.name)).filter((x) => x.path === p.name);
    if (stored?.type) types.set(p.name, stored.type);
  }
  return (name) => types.get(name) ?? null;
}
