// Real loopback HTTP servers the tests put between the worker and the simulated CPEs: a recording front (what the
// CPE side saw, and when), a forwarding HTTP proxy, and a Basic-only CPE (the simulator speaks Digest only).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import auth from 'http-auth';
import { BASIC, parseAuthorizationHeader } from 'http-auth-utils';
import { request } from 'undici';

export interface SeenRequest {
  readonly startedAt: number;
  endedAt?: number;
  readonly authorized: boolean;
  readonly authorization?: string;
  readonly remoteAddress: string;
  status?: number;
}

export interface RecordingServer {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Most requests that were open at the same time. */
  readonly maxInFlight: number;
  stop(): Promise<void>;
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function record(req: IncomingMessage, seen: SeenRequest[]): SeenRequest {
  const authorization = req.headers.authorization;
  const entry: SeenRequest = {
    startedAt: Date.now(),
    authorized: authorization !== undefined,
    ...(authorization === undefined ? {} : { authorization }),
    remoteAddress: req.socket.remoteAddress ?? '',
  };
  seen.push(entry);
  return entry;
}

async function forward(target: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const headers: Record<string, string> = {};
  if (req.headers.authorization !== undefined) headers.authorization = req.headers.authorization;
  const upstream = await request(target, { method: 'GET', headers });
  await upstream.body.dump();
  const out: Record<string, string | string[]> = {};
  for (const name of ['www-authenticate', 'retry-after']) {
    const v = upstream.headers[name];
    if (v !== undefined) out[name] = v;
  }
  res.writeHead(upstream.statusCode, { ...out, 'content-length': '0' });
  res.end();
  return upstream.statusCode;
}

export interface FrontOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Close the socket instead of answering the first authenticated request (CPEs that drop it after the 401). */
  readonly dropFirstAuthenticated?: boolean;
}

/** Listens on `host`, records every request, and forwards it to the same path at `cpeUrl` (the simulator). */
export async function startRecordingFront(cpeUrl: string, options: FrontOptions = {}): Promise<RecordingServer> {
  const seen: SeenRequest[] = [];
  const cpe = new URL(cpeUrl);
  let inFlight = 0;
  let maxInFlight = 0;
  let dropped = false;
  const server = createServer((req, res) => {
    req.resume();
    const entry = record(req, seen);
    if (options.dropFirstAuthenticated && entry.authorized && !dropped) {
      dropped = true;
      entry.endedAt = Date.now();
      req.socket.destroy();
      return;
    }
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    forward(new URL(req.url ?? '/', cpe).href, req, res)
      .then((status) => {
        entry.status = status;
      })
      .catch(() => req.socket.destroy())
      .finally(() => {
        inFlight -= 1;
        entry.endedAt = Date.now();
      });
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host);
  return {
    url: `http://${host}:${port}${cpe.pathname}${cpe.search}`,
    seen,
    get maxInFlight() {
      return maxInFlight;
    },
    stop: () => close(server),
  };
}

/** A forwarding HTTP proxy (absolute-URI requests), recording what passed through it. */
export async function startForwardingProxy(): Promise<RecordingServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const entry = record(req, seen);
    const target = req.url ?? '';
    if (!/^http:\/\//.test(target)) {
      res.writeHead(400, { 'content-length': '0' }).end();
      return;
    }
    forward(target, req, res)
      .then((status) => {
        entry.status = status;
      })
      .catch(() => {
        // What a proxy answers when the CPE cannot be reached.
        if (!res.headersSent) res.writeHead(502, { 'content-length': '0' }).end();
      });
  });
  const port = await listen(server, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, seen, maxInFlight: 0, stop: () => close(server) };
}

/** A CPE whose connection-request listener challenges with Basic only. */
export async function startBasicOnlyCpe(credentials: { username: string; password: string }): Promise<RecordingServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const entry = record(req, seen);
    let ok = false;
    try {
      const parsed = parseAuthorizationHeader(req.headers.authorization ?? '', [BASIC]);
      const data = parsed.data as { username?: string; password?: string };
      ok = data.username === credentials.username && data.password === credentials.password;
    } catch {
      ok = false;
    }
    entry.status = ok ? 200 : 401;
    res.writeHead(entry.status, ok ? { 'content-length': '0' } : { 'www-authenticate': 'Basic realm="cwmp-cr"', 'content-length': '0' });
    res.end();
    entry.endedAt = Date.now();
  });
  const port = await listen(server, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/cr/basic`, seen, maxInFlight: 0, stop: () => close(server) };
}

/** A CPE checking Digest with http-auth, with the challenge variants the simulator does not offer. */
export async function startDigestCpe(
  credentials: { username: string; password: string },
  options: { qop: 'auth' | 'none'; algorithm?: 'MD5' | 'MD5-sess' },
): Promise<RecordingServer> {
  const seen: SeenRequest[] = [];
  const realm = 'cwmp-cr';
  const digest = auth.digest({ realm, qop: options.qop, algorithm: options.algorithm ?? 'MD5' }, (username, callback) => {
    callback(username === credentials.username ? createHash('md5').update(`${username}:${realm}:${credentials.password}`).digest('hex') : '');
  });
  const server = createServer((req, res) => {
    req.resume();
    const entry = record(req, seen);
    digest.isAuthenticated(req, (result) => {
      if (result instanceof Error || !result.pass) {
        entry.status = 401;
        digest.ask(res, result instanceof Error ? {} : result);
        return;
      }
      entry.status = 204;
      res.writeHead(204).end();
    });
  });
  const port = await listen(server, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/cr/digest`, seen, maxInFlight: 0, stop: () => close(server) };
}
