import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListenOptions {
  readonly host: string;
  /** 0: any free port (the address listen() resolves to has the real one). */
  readonly port: number;
}

/** How long a stop lets requests in flight finish before it closes their connections. */
export const DRAIN_TIMEOUT_MS = 5_000;

/** Listens and resolves with the bound address; rejects on EADDRINUSE and the like instead of emitting 'error'. */
export function listen(server: Server, { host, port }: ListenOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `http://127.0.0.1:7547/cwmp/`, IPv6 hosts bracketed. */
export function urlOf(address: AddressInfo, path: string, scheme: 'http' | 'https' = 'http'): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}${path}`;
}

/** Closes a server gracefully: idle keep-alive connections at once, busy ones after `drainTimeoutMs`. */
export function closeServer(server: Server, drainTimeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      done();
    });
    server.closeIdleConnections();
  });
}
