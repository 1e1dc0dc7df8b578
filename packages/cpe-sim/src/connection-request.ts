import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import auth from 'http-auth';
import { createRateLimit, type RateLimit } from './rate-limit.js';

/**
 * A way for the ACS to ask this CPE for a session (TR-069 §3.2.2 HTTP, Annex G UDP, Annex K
 * XMPP). `start()` makes the endpoint reachable, `url` is what the CPE publishes
 * (ConnectionRequestURL for HTTP), `stop()` releases it. An accepted request ends in the
 * `onRequest` callback the CPE gave when it built the endpoint.
 */
export interface ConnectionRequestEndpoint {
  readonly transport: 'http' | 'udp' | 'xmpp';
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ConnectionRequestCredentials {
  username: string;
  password: string;
}

/**
 * Test knobs for how the endpoint misbehaves:
 * - `normal`: Digest-checked, 200 then a session;
 * - `unreachable`: nothing listens on the published URL;
 * - `wrong-password`: checks against a password other than the configured one (always 401);
 * - `busy`: answers 503 to every authenticated request;
 * - `slow`: answers after `slowMs`.
 */
export type ConnectionRequestBehaviour = 'normal' | 'unreachable' | 'wrong-password' | 'busy' | 'slow';

export interface HttpConnectionRequestOptions {
  /** Bind address; 127.0.0.1 by default (another loopback address can stand for a VPN side). */
  host?: string;
  /** 0 (default) lets the kernel pick a free port. */
  port?: number;
  /** Request path; random per CPE by default (TR-069 recommends an unguessable path). */
  path?: string;
  /** Read on every request, so an SPV of ConnectionRequestUsername/Password applies at once. */
  credentials: () => ConnectionRequestCredentials;
  /** Called after an accepted request has been answered. */
  onRequest: () => void;
  /** An accepted request within this many ms of the previous one gets 503. Default 1000. */
  rateLimitMs?: number;
  /** A limit shared with the CPE's other transports; replaces `rateLimitMs`. */
  rateLimit?: RateLimit;
  behaviour?: ConnectionRequestBehaviour;
  /** Delay of the `slow` behaviour. Default 5000. */
  slowMs?: number;
  realm?: string;
}

const DEFAULT_SLOW_MS = 5_000;

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function end(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': '0' });
  res.end();
}

/** The HTTP connection-request listener of one CPE (Digest auth, cwmp-protocol.md §7). */
export function createHttpConnectionRequestEndpoint(opts: HttpConnectionRequestOptions): ConnectionRequestEndpoint {
  const host = opts.host ?? '127.0.0.1';
  const path = opts.path ?? `/cr/${randomBytes(6).toString('hex')}`;
  const behaviour = opts.behaviour ?? 'normal';
  const rateLimit = opts.rateLimit ?? createRateLimit(opts.rateLimitMs);
  const realm = opts.realm ?? 'cwmp-cr';
  let server: Server | undefined;
  let url = '';
  const timers = new Set<NodeJS.Timeout>();

  const digest = auth.digest({ realm, qop: 'auth' }, (username, callback) => {
    const creds = opts.credentials();
    const password = behaviour === 'wrong-password' ? `${creds.password}-not` : creds.password;
    // An unknown user gets a hash that cannot match, so the request fails like a bad password.
    callback(username === creds.username ? md5(`${username}:${realm}:${password}`) : md5(randomBytes(16).toString('hex')));
  });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const reqPath = (req.url ?? '').split('?')[0];
    if (reqPath !== path) return end(res, 404);
    if (req.method !== 'GET') return end(res, 405);
    digest.isAuthenticated(req, (result) => {
      if (result instanceof Error || !result.pass) {
        digest.ask(res, result instanceof Error ? {} : result);
        return;
      }
      if (behaviour === 'busy' || !rateLimit.tryAccept()) return end(res, 503);
      const accept = () => {
        // The CPE answers first, then opens its session (cwmp-protocol.md §7).
        res.once('finish', () => opts.onRequest());
        end(res, 200);
      };
      if (behaviour === 'slow') {
        const t = setTimeout(() => {
          timers.delete(t);
          accept();
        }, opts.slowMs ?? DEFAULT_SLOW_MS);
        timers.add(t);
      } else accept();
    });
  };

  return {
    transport: 'http',
    get url() {
      return url;
    },
    async start() {
      if (server || url) return;
      const srv = createServer(handle);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(opts.port ?? 0, host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const port = (srv.address() as AddressInfo).port;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
      if (behaviour === 'unreachable') {
        // Publish a URL whose port was just released: connections to it are refused.
        await new Promise<void>((resolve) => srv.close(() => resolve()));
        return;
      }
      server = srv;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const srv = server;
      server = undefined;
      url = '';
      if (!srv) return;
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}
