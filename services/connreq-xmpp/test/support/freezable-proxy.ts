import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP relay to `target` whose open connections can be frozen: bytes stop flowing, nothing is closed (a dead NAT). */
export interface FreezableProxy {
  readonly port: number;
  /** Stops relaying on every connection open now; later connections relay normally. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezableProxy(target: { host: string; port: number }): Promise<FreezableProxy> {
  const open = new Set<{ client: Socket; upstream: Socket }>();
  const frozen = new Set<{ client: Socket; upstream: Socket }>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    const pair = { client, upstream };
    open.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      open.delete(pair);
      frozen.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      for (const pair of open) {
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.upstream.pause();
        frozen.add(pair);
      }
      open.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const { client, upstream } of [...open, ...frozen]) {
          client.destroy();
          upstream.destroy();
        }
      }),
  };
}
