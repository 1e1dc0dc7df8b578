// The task lifecycle as pure functions; adapters persist the result with a conditional write so
// two sessions racing on one task cannot both win.
import type { EpochMs, JsonValue, Task, TaskFault } from './types.js';

/** Pending or running: in the device's queue (openTasks). */
export function isOpen(status: string): boolean {
  return status === 'pending' || status === 'running';
}

/** `progress` given: recorded in the same write (a session claims a task and says where it stands at once). */
export function claim(t: Task, now: EpochMs, progress?: JsonValue | null): Task | null {
  if (t.status !== 'pending' || (t.expiresAt !== null && t.expiresAt <= now)) return null;
  return { ...t, status: 'running', attempts: t.attempts + 1, startedAt: now, updatedAt: now, ...(progress !== undefined ? { progress } : {}) };
}

export function release(t: Task, now: EpochMs): Task | null {
  return t.status === 'running' ? { ...t, status: 'pending', updatedAt: now } : null;
}

export function complete(t: Task, result: JsonValue | null, now: EpochMs): Task | null {
  return t.status === 'running' ? { ...t, status: 'done', result, finishedAt: now, updatedAt: now } : null;
}

export function fail(t: Task, fault: TaskFault, now: EpochMs): Task | null {
  if (t.status !== 'running') return null;
  const final = t.attempts >= t.maxAttempts;
  return { ...t, status: final ? 'fault' : 'pending', fault: { code: fault.code, message: fault.message }, finishedAt: final ? now : null, updatedAt: now };
}

/** null: already finished, nothing to change. */
export function cancel(t: Task, reason: 'user' | 'expired', now: EpochMs): Task | null {
  if (t.status !== 'pending' && t.status !== 'running') return null;
  return { ...t, status: 'cancelled', cancelReason: reason, finishedAt: now, updatedAt: now };
}

/** A pending task past its expiresAt is cancelled as `expired`; null for any other. */
export function expire(t: Task, now: EpochMs): Task | null {
  return t.status === 'pending' && t.expiresAt !== null && t.expiresAt <= now ? cancel(t, 'expired', now) : null;
}

/** Only a running task records progress: a stale session must not overwrite a finished one. */
export function progress(t: Task, value: JsonValue | null, now: EpochMs): Task | null {
  return t.status === 'running' ? { ...t, progress: value, updatedAt: now } : null;
}

export function requeue(t: Task, now: EpochMs): Task | null {
  if (t.status !== 'fault' && t.status !== 'cancelled') return null;
  return { ...t, status: 'pending', attempts: 0, progress: null, fault: null, cancelReason: null, finishedAt: null, startedAt: null, updatedAt: now };
}
