import { createServer } from 'node:http';
import { closeServer, listen } from './http-listener.js';

/** What `/readyz` reports: ready, and the parts it is made of (the whole object is the body either way). */
export interface Readiness {
  readonly ready: boolean;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` (200 while the process serves) and `/readyz` (200 when `readiness()` says ready, else 503), both with
 * the readiness as JSON. Anything else is 404. Bound to `host` only (127.0.0.1 unless told).
 */
export async function startHealthServer(options: { host: string; port: number; readiness: () => Readiness }): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/healthz' && path !== '/readyz') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const readiness = options.readiness();
    const status = path === '/readyz' && !readiness.ready ? 503 : 200;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(`${JSON.stringify(readiness)}\n`);
  });
  const address = await listen(server, { host: options.host, port: options.port });
  return { port: address.port, close: () => closeServer(server) };
}
