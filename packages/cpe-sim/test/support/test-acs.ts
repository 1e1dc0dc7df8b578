// A small scripted ACS for the simulator's own tests: a real HTTP server on 127.0.0.1 that
// speaks CWMP through @acs/cwmp, answers Inform, sends queued RPCs after the CPE's empty
// POST, answers 204 at the end and records everything it saw.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { decode, encode } from '@acs/cwmp';
import type { AcsRequest, CwmpEnvelope, CwmpMessage, Inform } from '@acs/cwmp';
import auth from 'http-auth';
import { waitFor } from './wait-for.js';

export interface RecordedSession {
  id: string;
  inform: Inform;
  /** Every message the CPE posted after the Inform (empty POSTs excluded). */
  messages: CwmpMessage[];
  /** For each POST after the Inform: did it carry our session cookie? */
  cookieEchoed: boolean[];
  ended: boolean;
}

export interface TestAcsOptions {
  auth?: 'none' | 'digest' | 'basic';
  username?: string;
  password?: string;
  holdRequests?: boolean;
  /** Answer 401 challenges with `Connection: close`, as some ACSs do. */
  closeOn401?: boolean;
}

export interface TestAcs {
  readonly url: string;
  readonly sessions: RecordedSession[];
  /** RPCs for the next session of the device with this serial ('*': any device). */
  queue(serial: string, ...requests: AcsRequest[]): void;
  /** The next `count` Informs get 503 (+ Retry-After when given). */
  reject503(count: number, retryAfterS?: number): void;
  /** Serves `body` at GET /files/<name>; returns its URL. */
  serveFile(name: string, body: Buffer): string;
  /** Polls until `count` sessions have ended (real condition with a deadline). */
  waitForSessions(count: number, timeoutMs?: number): Promise<RecordedSession[]>;
  /** HTTP statuses answered, in order (e.g. 401 challenges, 503s). */
  readonly statuses: number[];
  /** The client's TCP port of every request, in order: which requests shared a connection. */
  readonly clientPorts: number[];
  /** Client connections not closed yet. */
  openConnections(): number;
  close(): Promise<void>;
}

const REALM = 'test-acs';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startTestAcs(opts: TestAcsOptions = {}): Promise<TestAcs> {
  const mode = opts.auth ?? 'none';
  const sessions: RecordedSession[] = [];
  const statuses: number[] = [];
  const clientPorts: number[] = [];
  const live = new Map<string, { rec: RecordedSession; queue: AcsRequest[]; ns: string; pendingId?: string }>();
  const queues = new Map<string, AcsRequest[]>();
  const files = new Map<string, Buffer>();
  let reject = 0;
  let retryAfter: number | undefined;

  const digest = auth.digest({ realm: REALM, qop: 'auth' }, (username, cb) =>
    cb(username === opts.username ? createHash('md5').update(`${username}:${REALM}:${opts.password}`).digest('hex') : 'x'),
  );
  const basic = auth.basic({ realm: REALM }, (u, p, cb) => cb(u === opts.username && p === opts.password));

  const send = (res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}) => {
    statuses.push(status);
    res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)), ...(body ? { 'Content-Type': 'text/xml; charset="utf-8"' } : {}) });
    res.end(body);
  };
  const envelope = (ns: string, body: CwmpMessage, id?: string, hold?: boolean): string => {
    const env: CwmpEnvelope = { cwmpNamespace: ns, header: { ...(id === undefined ? {} : { id }), ...(hold ? { holdRequests: true } : {}) }, body };
    return encode(env);
  };
  const authenticate = (req: IncomingMessage, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (mode === 'none') return resolve(true);
      const a = mode === 'digest' ? digest : basic;
      a.isAuthenticated(req, (result) => {
        if (result instanceof Error || !result.pass) {
          statuses.push(401);
          if (opts.closeOn401) res.setHeader('Connection', 'close');
          a.ask(res, result instanceof Error ? {} : result);
          return resolve(false);
        }
        resolve(true);
      });
    });

  const nextRequest = (res: ServerResponse, s: { rec: RecordedSession; queue: AcsRequest[]; ns: string; pendingId?: string }, sid: string) => {
    const next = s.queue.shift();
    if (!next) {
      s.rec.ended = true;
      live.delete(sid);
      return send(res, 204);
    }
    s.pendingId = randomBytes(4).toString('hex');
    send(res, 200, envelope(s.ns, next, s.pendingId, opts.holdRequests));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (req.method === 'GET' && req.url?.startsWith('/files/')) {
      const f = files.get(req.url.slice('/files/'.length));
      if (!f) return send(res, 404);
      statuses.push(200);
      res.writeHead(200, { 'Content-Length': String(f.length) });
      return res.end(f);
    }
    const sid = /(?:^|[;,]\s*)sid=([A-Za-z0-9]+)/.exec(req.headers.cookie ?? '')?.[1];
    const s = sid ? live.get(sid) : undefined;
    if (s && sid) {
      s.rec.cookieEchoed.push(true);
      const msg = body.trim() === '' ? undefined : decode(body);
      if (!msg || msg.kind === 'empty') return nextRequest(res, s, sid);
      s.rec.messages.push(msg.envelope.body);
      if (msg.envelope.body.name === 'TransferComplete') {
        return send(res, 200, envelope(s.ns, { name: 'TransferCompleteResponse' }, msg.envelope.header.id));
      }
      return nextRequest(res, s, sid);
    }
    // No live session: this must be an Inform.
    const decoded = body.trim() === '' ? undefined : decode(body);
    if (!decoded || decoded.kind === 'empty' || decoded.envelope.body.name !== 'Inform') {
      // A POST with a stale or missing cookie.
      for (const r of sessions) if (!r.ended) r.cookieEchoed.push(false);
      return send(res, 400);
    }
    if (!(await authenticate(req, res))) return;
    if (reject > 0) {
      reject--;
      return send(res, 503, '', retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) });
    }
    const inform = decoded.envelope.body;
    const id = randomBytes(8).toString('hex');
    const rec: RecordedSession = { id, inform, messages: [], cookieEchoed: [], ended: false };
    sessions.push(rec);
    const serial = inform.deviceId.serialNumber;
    const queue = [...(queues.get(serial) ?? []), ...(queues.get('*') ?? [])];
    queues.delete(serial);
    queues.delete('*');
    live.set(id, { rec, queue, ns: decoded.envelope.cwmpNamespace });
    send(res, 200, envelope(decoded.envelope.cwmpNamespace, { name: 'InformResponse', maxEnvelopes: 1 }, decoded.envelope.header.id, opts.holdRequests), {
      'Set-Cookie': `sid=${id}; Path=/`,
    });
  };

  const server: Server = createServer((req, res) => {
    clientPorts.push(req.socket.remotePort ?? 0);
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, '');
      console.error('test ACS failed', e);
    });
  });
  let open = 0;
  server.on('connection', (socket) => {
    open++;
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  return {
    url: `${base}/cwmp/`,
    sessions,
    statuses,
    clientPorts,
    openConnections: () => open,
    queue(serial, ...requests) {
      queues.set(serial, [...(queues.get(serial) ?? []), ...requests]);
    },
    reject503(count, retryAfterS) {
      reject = count;
      retryAfter = retryAfterS;
    },
    serveFile(name, body) {
      files.set(name, body);
      return `${base}/files/${name}`;
    },
    async waitForSessions(count, timeoutMs = 10_000) {
      await waitFor(() => sessions.filter((s) => s.ended).length >= count, timeoutMs, () => `${count} ended sessions (${sessions.length} started)`);
      return sessions.filter((s) => s.ended);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
