import { join } from 'node:path';
import { freePort } from './free-port.js';
import { makeTempDir, requireBinary, spawnOwned, waitReady } from './process.js';

export const NATS_INSTALL = 'apt-get install -y nats-server';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Process id of the server (benchmarks read its CPU time and memory from /proc). */
  readonly pid: number | undefined;
  /** Kills the server hard and starts it again on the same port and store (restart tests). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts nats-server with JetStream on a free loopback port and a temp store. */
export async function startNats(): Promise<NatsServer> {
  const bin = requireBinary('nats-server', NATS_INSTALL);
  const dir = makeTempDir('nats');
  const port = await freePort();
  const monitor = await freePort();
  const launch = async () => {
    const proc = spawnOwned(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'js'), '-m', String(monitor)]);
    await waitReady(proc, 'nats-server', async () => (await fetch(`http://127.0.0.1:${monitor}/jsz`, { signal: AbortSignal.timeout(2_000) })).ok);
    return proc;
  };
  let proc = await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return proc.child.pid;
    },
    async restart() {
      await proc.stop(0);
      proc = await launch();
    },
    async stop() {
      await proc.stop();
      const { rmSync } = await import('node:fs');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
