// TEMPORARY: declares the task fields the registry needs from the store until they land in src/store.
import type { EpochMs, JsonValue, Task } from './store/types.js';

declare module './store/types.js' {
  interface TaskState {
    priority: number;
    progress: JsonValue | null;
  }
}

declare module './store/device-store.js' {
  interface TaskRepo {
    setTaskProgress(id: string, progress: JsonValue | null, now: EpochMs): Promise<Task | null>;
  }
}
