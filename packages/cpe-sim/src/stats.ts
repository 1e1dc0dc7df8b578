import type { SessionResult } from './cpe.js';

/** What a run of sessions amounts to (the acs-sim summary). */
export interface SessionSummary {
  sessions: number;
  ok: number;
  failed: number;
  wallMs: number;
  sessionsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** CWMP fault codes seen in sessions (either direction), by code. */
  faults: Record<string, number>;
  /** Failed sessions by SessionErrorCode. */
  errors: Record<string, number>;
}

/** Nearest-rank percentile of ascending `sorted` (0 for an empty list). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

export function summarize(results: SessionResult[], wallMs: number): SessionSummary {
  const ok = results.filter((r) => r.ok).length;
  const latencies = results.map((r) => r.durationMs).sort((a, b) => a - b);
  const faults: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const r of results) {
    for (const f of r.faults) faults[f] = (faults[f] ?? 0) + 1;
    if (r.error) errors[r.error.code] = (errors[r.error.code] ?? 0) + 1;
  }
  return {
    sessions: results.length,
    ok,
    failed: results.length - ok,
    wallMs,
    sessionsPerSecond: wallMs > 0 ? Math.round((results.length / wallMs) * 1000 * 100) / 100 : 0,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? 0,
    },
    faults,
    errors,
  };
}
