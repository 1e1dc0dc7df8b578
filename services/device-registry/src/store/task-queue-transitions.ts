import { cancel, claim, complete, fail, progress, release, requeue } from './task-transitions.js';
import type { EpochMs, JsonValue, Task, TaskFault } from './types.js';

/** What to return when the transition leaves the task as it is: null, or the task as read (cancelTask). */
export type UnchangedResult = 'null' | 'current';

/**
 * The TaskQueue methods that are one transition each (task-transitions.ts), for both adapters: which rule each
 * method applies is decided here, how it is written without losing a race is the adapter's `transition`.
 */
export abstract class TaskQueueTransitions {
  /** Reads the task, applies `step` and writes the result if the task did not change meanwhile. null: unknown id. */
  protected abstract transition(id: string, step: (t: Task) => Task | null, unchanged?: UnchangedResult): Promise<Task | null> | Task | null;

  async claimTask(id: string, now: EpochMs, progressValue?: JsonValue | null): Promise<Task | null> {
    return this.transition(id, (t) => claim(t, now, progressValue));
  }

  async releaseTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => release(t, now));
  }

  async completeTask(id: string, result: JsonValue | null, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => complete(t, result, now));
  }

  async failTask(id: string, fault: TaskFault, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => fail(t, fault, now));
  }

  async cancelTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => cancel(t, 'user', now), 'current');
  }

  async setTaskProgress(id: string, value: JsonValue | null, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => progress(t, value, now));
  }

  async requeueTask(id: string, now: EpochMs): Promise<Task | null> {
    return this.transition(id, (t) => requeue(t, now));
  }
}
