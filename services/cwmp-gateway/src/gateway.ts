import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bus } from '@acs/bus';
import type { RegistryClient, Subjects } from '@acs/contracts';
import type { DeviceLock, RateLimiter, SessionStore } from '@acs/kv';
import { createMetrics, type Logger, type Metrics } from '@acs/telemetry';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createCwmpHandler, type CwmpHandlerSettings, type CwmpHttpReply, type CwmpHttpRequest } from './cwmp-handler.js';
import { createNonceService } from './nonce.js';

export interface GatewaySettings extends CwmpHandlerSettings {
  /** CWMP endpoint path (also served at `/`). */
  readonly path: string;
  /** Shared by every replica: a nonce issued by one is checked by another. */
  readonly nonceSecret: string;
  readonly nonceTtlMs: number;
  /** Proxies whose X-Forwarded-* headers are believed (express `trust proxy`); empty: none. */
  readonly trustedProxies: readonly string[];
}

export interface GatewayDeps {
  readonly registry: RegistryClient;
  readonly sessions: SessionStore;
  readonly locks: DeviceLock;
  readonly rateLimiter: RateLimiter;
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  readonly settings: GatewaySettings;
  readonly metrics?: Metrics;
  /** Serves GET /metrics (Prometheus) when given. */
  readonly metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Clock in epoch ms (tests move time by hand). */
  readonly now?: () => number;
}

export interface Gateway {
  /** The express app: mount it on an http or https server. */
  readonly app: express.Express;
  /** The CWMP exchange without HTTP plumbing (what the app calls for each POST). */
  readonly handler: (req: CwmpHttpRequest) => Promise<CwmpHttpReply>;
  /** Marks the gateway as draining (/readyz answers 503) so the load balancer stops sending new sessions. */
  close(): Promise<void>;
}

export const DEFAULT_SETTINGS = {
  path: '/cwmp/',
  realm: 'acs',
  nonceTtlMs: 300_000,
  allowBasic: false,
  connectionFallback: true,
  trustedProxies: [],
  maxBodyBytes: 4 * 1024 * 1024,
  sessionTimeoutMs: 30_000,
  maxSessionMs: 600_000,
  maxRpcsPerSession: 256,
  authFailLimit: 10,
  authFailWindowMs: 300_000,
  retryAfterS: 60,
} as const satisfies Omit<GatewaySettings, 'nonceSecret'>;

const READY_TIMEOUT_MS = 2_000;

/** The CWMP gateway: POST-only CWMP endpoint, /healthz, /readyz (kv and bus reachable), optional /metrics. */
export function createGateway(deps: GatewayDeps): Gateway {
  const s = deps.settings;
  const handle = createCwmpHandler({
    registry: deps.registry,
    sessions: deps.sessions,
    locks: deps.locks,
    rateLimiter: deps.rateLimiter,
    bus: deps.bus,
    subjects: deps.subjects,
    logger: deps.logger,
    metrics: deps.metrics ?? createMetrics('cwmp-gateway'),
    nonces: createNonceService({ secret: s.nonceSecret, ttlMs: s.nonceTtlMs, ...(deps.now ? { now: deps.now } : {}) }),
    settings: s,
    ...(deps.now ? { now: deps.now } : {}),
  });
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', s.trustedProxies.length > 0 ? [...s.trustedProxies] : false);
  const trusted = app.get('trust proxy fn') as (addr: string | undefined, i: number) => boolean;
  const tracer = trace.getTracer('cwmp-gateway');

  app.get('/healthz', (_req, res) => send(res, { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok\n' }));
  app.get('/readyz', async (_req, res) => {
    const problems = await readiness(deps, draining);
    send(res, { status: problems.length === 0 ? 200 : 503, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ready: problems.length === 0, problems }) });
  });
  if (deps.metricsHandler) {
    const metricsHandler = deps.metricsHandler;
    app.get('/metrics', (req, res) => metricsHandler(req, res));
  }

  const paths = [...new Set([s.path, '/'])];
  // body-parser reads the body whatever its Content-Type (CPEs send many, or none), inflates gzip/deflate, and
  // enforces the size limit on the inflated bytes (413).
  app.all(paths, express.raw({ type: () => true, limit: s.maxBodyBytes, inflate: true }), async (req: Request, res: Response) => {
    const socket = req.socket;
    const viaProxy = trusted(socket.remoteAddress, 0);
    // One span per CWMP exchange; registry requests and events carry it on the bus (traceparent).
    const span = tracer.startSpan('CWMP POST', { kind: SpanKind.SERVER, attributes: { 'client.address': req.ip ?? '' } });
    const reply = await context.with(trace.setSpan(context.active(), span), () => handle({
      method: req.method,
      requestTarget: req.originalUrl,
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      ...(req.headers['content-type'] === undefined ? {} : { contentType: req.headers['content-type'] }),
      ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
      ...(req.headers.cookie === undefined ? {} : { cookie: req.headers.cookie }),
      sourceIp: req.ip ?? socket.remoteAddress ?? 'unknown',
      ...(viaProxy || socket.remotePort === undefined ? {} : { sourcePort: socket.remotePort }),
      secure: req.secure,
    }));
    span.setAttribute('http.response.status_code', reply.status);
    if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    send(res, reply);
  });

  app.use((_req: Request, res: Response) => send(res, { status: 404, headers: {}, body: '' }));
  // Body-parser failures (too large, bad gzip, unknown Content-Encoding, aborted upload) and anything unexpected.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
    const level = status >= 500 ? 'error' : 'warn';
    deps.logger[level]({ sourceIp: req.ip, status, code: e.type ?? 'INTERNAL', err: e.message }, 'CWMP request refused before decoding');
    send(res, { status, headers: { Connection: 'close' }, body: '' });
  });

  return {
    app,
    handler: handle,
    async close() {
      draining = true;
    },
  };
}

/** Writes a reply with an exact Content-Length on every status (CPEs choke on unframed bodies), none on 204's body. */
function send(res: Response, reply: CwmpHttpReply): void {
  if (res.headersSent) return;
  const body = reply.status === 204 || reply.status === 304 ? '' : reply.body;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(reply.headers)) headers[k] = typeof v === 'string' ? v : [...v];
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(body);
}

async function readiness(deps: GatewayDeps, draining: boolean): Promise<string[]> {
  const problems: string[] = [];
  if (draining) problems.push('draining');
  const within = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS).unref())]);
  const [kv, bus] = await Promise.allSettled([within(deps.sessions.get('cwmp:readyz')), within(deps.bus.flush())]);
  if (kv.status === 'rejected') problems.push('kv unreachable');
  if (bus.status === 'rejected') problems.push('bus unreachable');
  return problems;
}
