import { existsSync, readFileSync } from 'node:fs';
import { MissingServerError, ServerStartError, makeTempDir, requireBinary, spawnOwned, waitReady } from './process.js';

// Orphans may linger as zombies where PID 1 does not reap them (containers); a zombie is not running.
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('requireBinary', () => {
  it('resolves a binary on PATH', () => {
    expect(requireBinary('sh', 'apt-get install -y dash')).toMatch(/\/sh$/);
  });

  it('throws MissingServerError naming the install command', () => {
    const attempt = () => requireBinary('acs-no-such-server', 'apt-get install -y acs-no-such-server');
    expect(attempt).toThrow(MissingServerError);
    expect(attempt).toThrow(/apt-get install -y acs-no-such-server/);
    try {
      attempt();
    } catch (err) {
      expect(err).toMatchObject({ name: 'MissingServerError', code: 'MISSING_SERVER', binary: 'acs-no-such-server' });
    }
  });

  it('also looks in the extra directories', () => {
    expect(requireBinary('sh', 'x', ['/nonexistent'])).toMatch(/\/sh$/);
  });
});

describe('spawnOwned + waitReady', () => {
  it('reports a server that exits before it is ready, with what it printed', async () => {
    const proc = spawnOwned('sh', ['-c', 'echo "bind: address in use" >&2; exit 3']);
    const ready = waitReady(proc, 'fake-server', async () => false, 10_000);
    await expect(ready).rejects.toBeInstanceOf(ServerStartError);
    await expect(ready).rejects.toMatchObject({ reason: 'exited', code: 'SERVER_START_FAILED', output: expect.stringContaining('address in use') });
    await proc.stop();
  });

  it('gives up after the deadline, keeps the probe error as cause and stops the process', async () => {
    const proc = spawnOwned('sh', ['-c', 'exec tail -f /dev/null']);
    const probeError = new Error('connection refused');
    const ready = waitReady(proc, 'silent-server', () => Promise.reject(probeError), 200);
    await expect(ready).rejects.toMatchObject({ reason: 'timeout', cause: probeError });
    expect(proc.child.exitCode !== null || proc.child.signalCode !== null).toBe(true);
  });

  it('stop() ends the whole process group and removes the temp dir', async () => {
    const dir = makeTempDir('spawn-test');
    // The shell forks a grandchild: only a group kill ends both.
    const proc = spawnOwned('sh', ['-c', 'tail -f /dev/null & echo "grandchild $!"; wait'], { tempDir: dir });
    await waitReady(proc, 'sh', async () => /grandchild \d+/.test(proc.output()));
    const grandchild = Number(/grandchild (\d+)/.exec(proc.output())?.[1]);
    expect(running(grandchild)).toBe(true);

    await proc.stop();
    expect(running(proc.child.pid!)).toBe(false);
    // The group got the signal together with sh; poll briefly for the grandchild to finish dying.
    const deadline = Date.now() + 5_000;
    while (running(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(running(grandchild)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('stop() on a process that already exited resolves and still cleans up', async () => {
    const dir = makeTempDir('spawn-test');
    const proc = spawnOwned('sh', ['-c', 'exit 0'], { tempDir: dir });
    await new Promise((r) => proc.child.once('exit', r));
    await expect(proc.stop()).resolves.toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    // An ignored SIGTERM survives exec, so tail ignores it too.
    const proc = spawnOwned('sh', ['-c', 'trap "" TERM; echo armed; exec tail -f /dev/null']);
    await waitReady(proc, 'sh', async () => proc.output().includes('armed'));
    await proc.stop(100);
    expect(proc.child.signalCode).toBe('SIGKILL');
  });
});
