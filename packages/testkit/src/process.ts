import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Thrown when a server binary needed by the integration tests is not installed. */
export class MissingServerError extends Error {
  override readonly name = 'MissingServerError';
  readonly code = 'MISSING_SERVER';
  constructor(
    readonly binary: string,
    readonly installCommand: string,
  ) {
    super(`${binary} is not installed; install it with: ${installCommand} (or run: npm run setup:test-servers)`);
  }
}

/** Thrown when a server binary is installed but cannot even report its version (a broken build). */
export class UnusableServerError extends Error {
  override readonly name = 'UnusableServerError';
  readonly code = 'UNUSABLE_SERVER';
  constructor(
    readonly binary: string,
    readonly installCommand: string,
    readonly detail: string,
  ) {
    super(`${binary} is installed but does not run; reinstall it with: ${installCommand}\n${detail}`);
  }
}

const START_FAILURES = {
  exited: 'exited before it was ready',
  timeout: 'was not ready in time',
  'invalid-config': 'rejected its generated config',
} as const;

/** Thrown when a server process exits or is not ready in time; carries what it printed. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  readonly code = 'SERVER_START_FAILED';
  constructor(
    readonly server: string,
    readonly reason: 'exited' | 'timeout' | 'invalid-config',
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(`${server} ${START_FAILURES[reason]}:\n${output}`, options);
  }
}

/** Resolves a binary on PATH (plus extra dirs), or throws MissingServerError with the install command. */
export function requireBinary(binary: string, installCommand: string, extraDirs: string[] = []): string {
  const path = [...extraDirs, process.env.PATH ?? ''].join(':');
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { env: { ...process.env, PATH: path }, encoding: 'utf8' });
  const resolved = found.stdout.trim();
  if (found.status !== 0 || resolved === '') throw new MissingServerError(binary, installCommand);
  return resolved;
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `acs-${prefix}-`));
}

/** A server process the harness owns, in its own process group. */
export interface OwnedProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr/stdout so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period; removes the temp dir when given. */
  stop(graceMs?: number): Promise<void>;
}

// One exit hook for all of them (not one listener per server): the harness must never leave servers
// behind when jest exits abruptly.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function own(child: ChildProcess): void {
  running.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) killGroup(c, 'SIGKILL');
  });
}

/**
 * `stdin: 'pipe'` keeps a pipe to the server's stdin open until stop(), for servers that exit when their stdin ends:
 * those go even when this process dies without running its exit hook (SIGKILL). Default: no stdin.
 * `uid`/`gid` run the server as that user (only a root harness can), e.g. PostgreSQL, which refuses root.
 */
export function spawnOwned(
  cmd: string,
  args: string[],
  opts: { cwd?: string; tempDir?: string; env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe'; uid?: number; gid?: number } = {},
): OwnedProcess {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
    // Servers that refuse to run as root (PostgreSQL) run as another user when the harness is root.
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  // Nothing is ever written to it; an error there (EPIPE once the server is gone) means nothing.
  child.stdin?.on('error', () => {});
  let out = '';
  const keep = (b: Buffer | string) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure surfaces through waitReady (the process never becomes ready), not as an unhandled 'error'.
  child.on('error', (err) => keep(`\n[spawn ${cmd}] ${err.message}\n`));
  own(child);
  child.once('exit', () => running.delete(child));
  let stopped: Promise<void> | undefined;
  return {
    child,
    output: () => out,
    stop(graceMs = 5_000) {
      stopped ??= new Promise<void>((resolve) => {
        const cleanUp = () => {
          running.delete(child);
          child.stdin?.destroy();
          if (opts.tempDir) rmSync(opts.tempDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return cleanUp();
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          cleanUp();
        });
        killGroup(child, 'SIGTERM');
      });
      return stopped;
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Polls `probe` until it resolves true; fails with the server's output if the process
 * exits or the deadline passes. Polling a readiness probe is synchronisation on a real
 * condition, not a sleep.
 */
export async function waitReady(proc: OwnedProcess, what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null || proc.child.pid === undefined) {
      throw new ServerStartError(what, 'exited', `exit ${proc.child.exitCode ?? proc.child.signalCode}\n${proc.output()}`);
    }
    let lastError: unknown;
    const ready = await probe().catch((err: unknown) => {
      lastError = err;
      return false;
    });
    if (ready) return;
    if (Date.now() > deadline) {
      await proc.stop(100);
      throw new ServerStartError(what, 'timeout', `after ${timeoutMs} ms\n${proc.output()}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
