import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface RunningMain {
  readonly child: ChildProcess;
  output(): string;
  /** The endpoint and token lines main printed, by label. */
  readonly lines: Record<string, string>;
}

/** Starts `node dist/main.js` (what `npm start` runs) and waits for its "Ready." line. */
export async function startMain(env: Record<string, string>): Promise<RunningMain> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', STUN_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`main.js not ready after ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
    const check = () => {
      if (out.includes('Ready.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`main.js exited with ${code}:\n${out}`));
    });
  });
  const lines: Record<string, string> = {};
  for (const m of out.matchAll(/^(CWMP endpoint|NBI endpoint|NBI admin token \(shown once, store it now\)|STUN endpoint): +(\S+)$/gm)) lines[m[1] as string] = m[2] as string;
  return { child, output: () => out, lines };
}

/** Ctrl-C (or `signal`), resolving with the exit code. */
export function stopMain(run: RunningMain, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  return new Promise((resolve) => {
    run.child.once('exit', (code) => resolve(code));
    run.child.kill(signal);
  });
}
