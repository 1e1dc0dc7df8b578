import type { NextActionReply, NextActionRequest } from '@acs/contracts';
import type { RegistryDeps } from './deps.js';
import { settleEarlierSession } from './earlier-sessions.js';
import { publishTaskFault } from './events.js';
import type { Task } from './store/types.js';
import { progressOf, toJson, type TaskProgress } from './task-meta.js';
import { TaskArgsError, taskToRpc } from './tasks-to-rpc.js';

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
  const running = open.filter((t) => t.status === 'running');
  for (const task of running) {
    const p = progressOf(task);
    if (task.type !== 'refresh' || p?.sessionId !== req.sessionId || p.phase !== 'values' || p.remaining.length === 0) continue;
    const batch: TaskProgress = { ...p, inFlight: Math.min(deps.policy.refreshBatch, p.remaining.length) };
    const updated = await store.setTaskProgress(task.id, toJson(batch), now);
    if (updated === null) continue;
    return { action: 'rpc', rpc: taskToRpc(updated, { secretBox: deps.secretBox, reportedType: () => null, progress: batch }), taskId: task.id };
  }

  const queued = open.filter((t) => t.status === 'pending');
  const expired = (t: Task) => t.expiresAt !== null && t.expiresAt <= now;
  // Expiry is a store-wide sweep: run it only when this device has something to expire.
  if (queued.some(expired)) await store.expireTasks(now);
  const pending = queued.filter((t) => !expired(t) && progressOf(t)?.sessionId !== req.sessionId).sort(byPriorityThenQueue);
  for (const candidate of pending) {
    const progress: TaskProgress = { sessionId: req.sessionId, phase: candidate.type === 'refresh' ? 'names' : 'rpc' };
    const task = await store.claimTask(candidate.id, now, toJson(progress));
    if (task === null) continue; // another replica or session won it
    try {
      const rpc = taskToRpc(task, { secretBox: deps.secretBox, reportedType: await typeLookup(deps, task), progress });
      deps.logger.debug({ deviceId: req.deviceId, sessionId: req.sessionId, taskId: task.id, rpc: rpc.name }, 'task handed out');
      return { action: 'rpc', rpc, taskId: task.id };
    } catch (err) {
      if (!(err instanceof TaskArgsError)) throw err;
      // Retrying cannot fix bad arguments: end the task now rather than after maxAttempts sessions.
      const fault = { code: err.code, message: err.message };
      let failed = await store.failTask(task.id, fault, now);
      while (failed !== null && failed.status === 'pending') {
        const again = await store.claimTask(failed.id, now);
        failed = again === null ? null : await store.failTask(again.id, fault, now);
      }
      await store.recordFault({ deviceId: req.deviceId, taskId: task.id, code: fault.code, message: fault.message, detail: { sessionId: req.sessionId } }, now);
      if (failed) publishTaskFault(deps, failed, fault, req.sessionId);
    }
  }
  return { action: 'none' };
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
