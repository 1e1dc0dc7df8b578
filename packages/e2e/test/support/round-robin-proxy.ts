import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@acs/testkit';

export interface Backend {
  host: string;
  port: number;
}

/** What the proxy got back from a backend, before it is relayed to the client. */
export interface RelayedResponse {
  backend: number;
  status: number;
  body: Buffer;
}

export interface RoundRobinProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Requests answered by each backend (index as given). */
  readonly served: readonly number[];
  /**
   * Awaited before a backend's answer goes back to the client: a test stops a gateway at an exact point
   * of a session (the CPE has not seen the RPC yet, so its answer must go to the other gateway).
   */
  beforeRelay: ((response: RelayedResponse) => Promise<void>) | undefined;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/**
 * A load balancer without stickiness: every request goes to the next backend in turn, and upstream
 * connections are pooled per backend and shared by all clients (like HAProxy's `http-reuse always`), so
 * consecutive requests of one CWMP session reach different gateways on connections other CPEs opened.
 * A backend that refuses the connection is skipped for that request (HAProxy's `option redispatch`).
 */
export async function startRoundRobinProxy(backends: readonly Backend[]): Promise<RoundRobinProxy> {
  if (backends.length === 0) throw new RangeError('the proxy needs at least one backend');
  const agents = backends.map(() => new Agent({ keepAlive: true, maxSockets: 256 }));
  const served = backends.map(() => 0);
  let next = 0;

  const send = (index: number, req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const b = backends[index] as Backend;
      const upstream = request(
        { host: b.host, port: b.port, method: req.method, path: req.url, headers: { ...forwardHeaders(req.headers), 'content-length': String(body.length) }, agent: agents[index] },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        // Node's advice for pooled sockets: a reset on a reused socket means the backend closed it idle, retry.
        reject(Object.assign(err, { retryable: err.code === 'ECONNREFUSED' || (err.code === 'ECONNRESET' && upstream.reusedSocket) }));
      });
      upstream.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        for (let tries = 0; tries < backends.length * 2; tries++) {
          const index = next++ % backends.length;
          try {
            const answer = await send(index, req, body);
            served[index] = (served[index] ?? 0) + 1;
            await proxy.beforeRelay?.({ backend: index, status: answer.status, body: answer.body });
            res.writeHead(answer.status, { ...forwardHeaders(answer.headers), 'content-length': String(answer.body.length) });
            res.end(answer.body);
            return;
          } catch (err) {
            if (!(err as { retryable?: boolean }).retryable) break;
          }
        }
        res.writeHead(502, { 'content-length': '0', connection: 'close' });
        res.end();
      })();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const proxy: RoundRobinProxy = {
    url: `http://127.0.0.1:${address.port}`,
    served,
    beforeRelay: undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const a of agents) a.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return proxy;
}
