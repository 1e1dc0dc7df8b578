import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// The fixture runs as a service's main.ts does: its own node process, signals from outside, exit codes read back.
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = 'test/fixtures/run-main.fixture.ts';

interface Child {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout holds `text` `times` times. */
  printed(text: string, times?: number): Promise<void>;
}

function start(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: pkgDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const count = (text: string) => out.split(text).length - 1;
  const printed = async (text: string, times = 1) => {
    while (count(text) < times) {
      const more = new Promise<void>((resolve) => waiters.push(resolve));
      const code = await Promise.race([more.then(() => 'more' as const), exited]);
      if (code !== 'more') throw new Error(`exited with ${code} before printing ${JSON.stringify(text)}:\n${out}${err}`);
    }
  };
  return { child, exited, stdout: () => out, stderr: () => err, printed };
}

describe('runMain', () => {
  it('exits 2 with the ConfigError message when the environment is invalid', async () => {
    const run = start({ FIXTURE_MODE: 'sometimes' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain('FIXTURE_MODE: expected one of serve, start-throws, stop-throws, got "sometimes"');
    expect(run.stdout()).not.toContain('ready');
  }, 30_000);

  it('logs ready, stops once on SIGTERM however many signals follow, and exits 0', async () => {
    const run = start({ FIXTURE_MODE: 'serve' });
    await run.printed('"msg":"fixture ready"');
    expect(run.stdout()).toMatch(/"telemetry":true.*"msg":"started"/);
    expect(run.stdout()).toMatch(/"mode":"serve".*"msg":"fixture ready"/);
    run.child.kill('SIGTERM');
    await run.printed('stop called');
    // Draining: more signals neither stop twice nor kill the process (a default handler would exit 143).
    run.child.kill('SIGTERM');
    run.child.kill('SIGINT');
    await run.printed('already draining', 2);
    run.child.stdin?.end();
    expect(await run.exited).toBe(0);
    expect(run.stdout().split('stop called')).toHaveLength(2);
    expect(run.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"draining"/);
    expect(run.stdout()).toContain('"msg":"stopped"');
  }, 30_000);

  it('drains on SIGINT too, and exits 1 when stop fails', async () => {
    const run = start({ FIXTURE_MODE: 'stop-throws' });
    await run.printed('"msg":"fixture ready"');
    run.child.kill('SIGINT');
    await run.printed('stop called');
    run.child.stdin?.end();
    expect(await run.exited).toBe(1);
    expect(run.stdout()).toMatch(/"msg":"stop failed"/);
    expect(run.stdout()).toContain('drain failed');
  }, 30_000);

  it('exits 1 with the stack when start throws', async () => {
    const run = start({ FIXTURE_MODE: 'start-throws' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^fixture failed to start: Error: the store is unreachable\n\s+at /);
    expect(run.stdout()).not.toContain('ready');
  }, 30_000);
});
