import { createConnection } from 'node:net';
import { freePort } from './free-port.js';
import { makeTempDir, requireBinary, spawnOwned, waitReady } from './process.js';

export const REDIS_INSTALL = 'apt-get install -y redis-server';

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Process id of the server (benchmarks read its CPU time and memory from /proc). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts redis-server without persistence on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
  const bin = requireBinary('redis-server', REDIS_INSTALL);
  const dir = makeTempDir('redis');
  const port = await freePort();
  const proc = spawnOwned(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { tempDir: dir });
  await waitReady(proc, 'redis-server', () => ping(port));
  return { url: `redis://127.0.0.1:${port}`, port, pid: proc.child.pid, stop: () => proc.stop() };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('error', () => resolve(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (b) => {
      sock.destroy();
      resolve(b.toString().startsWith('+PONG'));
    });
  });
}
