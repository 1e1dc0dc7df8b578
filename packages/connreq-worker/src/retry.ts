import type { PerformResult } from './perform.js';

/** Back-off between tries of one command: `baseMs`, doubling, at most `maxMs`, with jitter. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The wait after try number `tries` (1, 2, ...), before any `Retry-After`. */
export function backoffMs(retry: RetryPolicy, tries: number, random: () => number = Math.random): number {
  const cap = Math.min(retry.maxMs, retry.baseMs * 2 ** (tries - 1));
  // Equal jitter: replicas retrying the same outage do not fire in step.
  return cap / 2 + random() * (cap / 2);
}

export interface TryUntilDoneOptions {
  readonly retry: RetryPolicy;
  /** No try starts at or after this instant (epoch ms). */
  readonly windowEnd: number;
  readonly now: () => number;
  /** Rejects when the worker stops, which ends the loop. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly onRetry: (result: PerformResult, waitMs: number, tries: number) => void;
}

/** Tries the command until it succeeds, fails for good, or the next try would not fit the window. */
export async function tryUntilDone(tryOnce: () => Promise<PerformResult>, o: TryUntilDoneOptions): Promise<{ result: PerformResult; tries: number }> {
  let tries = 0;
  for (;;) {
    tries += 1;
    const result = await tryOnce();
    if (!result.retryable) return { result, tries };
    const wait = Math.max(backoffMs(o.retry, tries), result.retryAfterMs ?? 0);
    if (o.now() + wait >= o.windowEnd) return { result, tries };
    o.onRetry(result, wait, tries);
    await o.sleep(wait);
  }
}
