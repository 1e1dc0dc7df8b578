import type { RegistryDeps } from './deps.js';
import { publishTaskFault } from './events.js';
import type { Task } from './store/types.js';
import { progressOf } from './task-meta.js';

/**
 * A running task of an earlier session of the device, settled now that a new session asks for work (one
 * session per device, so that one is over): a download still inside its TransferComplete window keeps
 * waiting, one past it fails; anything else goes back to the queue. Returns the task as it now stands
 * (null when it failed or another replica settled it first).
 *
 * Done on the session's first `next` rather than on the Inform: the open tasks are read there anyway, so a
 * known device's Inform costs no task read at all.
 */
export async function settleEarlierSession(deps: RegistryDeps, task: Task, now: number): Promise<Task | null> {
  const { store } = deps;
  const progress = progressOf(task);
  if (progress?.phase === 'transfer') {
    if (now - progress.since < deps.policy.transferTimeoutMs) return task;
    const fault = { code: 'TRANSFER_TIMEOUT', message: `no TransferComplete for CommandKey ${progress.commandKey}` };
    const failed = await store.failTask(task.id, fault, now);
    if (failed) {
      await store.recordFault({ deviceId: task.deviceId, taskId: task.id, code: fault.code, message: fault.message, detail: { commandKey: progress.commandKey } }, now);
      publishTaskFault(deps, failed, fault, undefined);
    }
    return failed?.status === 'pending' ? failed : null;
  }
  return store.releaseTask(task.id, now);
}
