import { setTimeout as delay } from 'node:timers/promises';

/** Time as the worker sees it; tests may slow or record it. `sleep` rejects when `signal` aborts. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal });
  },
};
