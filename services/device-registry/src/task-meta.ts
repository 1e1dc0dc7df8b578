// What the registry keeps beside a task's TR-069 arguments: its working state while it runs
// (`Task.progress`, owned by the registry) and the private fields of the system tasks it creates.
import type { ConnectionRequestAuth, JsonValue, ParameterValueArg, Task } from './store/types.js';
import type { StunProgress } from './stun/provision-task.js';
import type { XmppProgress } from './xmpp/provision-task.js';

/**
 * Higher runs first; operator tasks have 0. Onboarding before the profile, the profile (then its STUN part, then its
 * XMPP part) before discovery. STUN before XMPP: one SPV and one SPA that need no tree reads, so a CPE whose XMPP
 * set-up faults (no XMPP object) has UDP connection requests already.
 */
export const TASK_PRIORITY = { onboarding: 30, profile: 20, stun: 17, xmpp: 15, discovery: 10, user: 0 } as const;

/**
 * `Task.progress` of a claimed task. `sessionId` is the session that last claimed it: a task that
 * fails is not offered again in that session, and a running task of another (dead) session is
 * released at the next Inform. Kept in the task record so any replica can continue the task.
 */
export type TaskProgress =
  /** The RPC is out; its answer is awaited. */
  | { sessionId: string; phase: 'rpc' }
  /** refresh: GetParameterNames of the subtree is out. */
  | { sessionId: string; phase: 'names' }
  /** refresh: leaf names still to read; the first `inFlight` of them are in the outstanding GetParameterValues. */
  | { sessionId: string; phase: 'values'; remaining: string[]; inFlight: number; read: number }
  /** download answered with Status 1: waiting, across sessions, for TransferComplete with `commandKey`. */
  | { sessionId: string; phase: 'transfer'; commandKey: string; since: number }
  /** provisionXmpp: the step whose RPC goes out next (src/xmpp/provision-task.ts). */
  | XmppProgress
  /** provisionStun: the step whose RPC goes out next (src/stun/provision-task.ts). */
  | StunProgress;

export function progressOf(task: Task): TaskProgress | null {
  const p = task.progress;
  if (p === null || typeof p !== 'object' || Array.isArray(p) || typeof p.sessionId !== 'string') return null;
  return p as unknown as TaskProgress;
}

export function toJson(progress: TaskProgress): JsonValue {
  return progress as unknown as JsonValue;
}

/** A value the registry generated: kept sealed with the secret box in the task, opened only to build the RPC. */
export interface SystemParameterValueArg extends ParameterValueArg {
  sealed?: boolean;
}

/** Arguments of a SetParameterValues task the registry queued itself (onboarding or a profile). */
export interface SystemSetArgs {
  parameterList: SystemParameterValueArg[];
  parameterKey?: string;
  purpose?: 'onboarding' | 'profile';
  /** onboarding: the pending per-device credential the CPE is being given. */
  credentialId?: string;
  /** profile: connection-request credentials to remember once the CPE accepted them. */
  connectionRequestAuth?: ConnectionRequestAuth;
}

export function systemSetArgs(task: Task): SystemSetArgs | null {
  return task.type === 'setParameterValues' ? (task.args as SystemSetArgs) : null;
}
