// What the benchmark reads about the processes it measures: CPU seconds and RSS from /proc (Linux), and the
// counters of a Prometheus /metrics page.
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessSample {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** The fields of /proc/<pid>/stat after the command name (which is in parentheses and may hold spaces). */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of `pid` and its resident set; zeros when the process is gone (or not Linux). */
export function sampleProcess(pid: number | undefined): ProcessSample {
  if (pid === undefined) return { cpuSeconds: 0, rssBytes: 0 };
  try {
    const fields = statFields(pid);
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { cpuSeconds: ticks / CLOCK_TICKS, rssBytes: rssKb * 1024 };
  } catch {
    return { cpuSeconds: 0, rssBytes: 0 };
  }
}

/**
 * CPU seconds of `pid` and all its live descendants, each with the time of its children already reaped (cutime,
 * cstime): a multi-process server's total (PostgreSQL's postmaster and its backends). 0 when gone (or not Linux).
 */
export function sampleProcessTreeCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const procs = new Map<number, { ppid: number; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  for (const e of entries) {
    try {
      const f = statFields(e);
      procs.set(Number(e), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // exited while listing
    }
  }
  let ticks = 0;
  const tree = new Set([pid]);
  // A child's pid may be lower than its parent's (pid wrap), so repeat until no process joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, { ppid }] of procs) {
      if (tree.has(p) || !tree.has(ppid)) continue;
      tree.add(p);
      grew = true;
    }
  }
  for (const p of tree) ticks += procs.get(p)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** The sum of every series of `metric` (a counter: `<name>_total`) on a Prometheus page; 0 when absent. */
export async function scrapeCounter(url: string, metric: string): Promise<number> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
