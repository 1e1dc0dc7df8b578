import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { DeviceRecords } from '../store/device-store.js';
import type { NbiContext, NbiDeps } from './context.js';
import { credentialRoutes } from './credential-routes.js';
import { deviceRoutes } from './device-routes.js';
import { deviceTypeRoutes } from './device-type-routes.js';
import type { NbiIssue } from './errors.js';
import {
  NbiBadRequestError,
  NbiError,
  NbiForbiddenError,
  NbiNotFoundError,
  NbiPayloadTooLargeError,
  NbiUnauthorizedError,
  NbiUnsupportedMediaTypeError,
  NbiValidationError,
  errorBody,
} from './errors.js';
import { faultRoutes } from './fault-routes.js';
import { API_PREFIX, buildOpenApiDocument } from './openapi.js';
import type { RouteDef } from './route-table.js';
import { expressPath, needsAdmin } from './route-table.js';
import { EmptyQuery } from './schemas.js';
import { fromStoreError } from './store-errors.js';
import { taskRoutes } from './task-routes.js';
import { tokenRoutes } from './token-routes.js';
import type { TokenInfo } from './tokens.js';
import { ENV_TOKEN_ID, matchesEnvToken } from './tokens.js';

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const READY_TIMEOUT_MS = 2_000;
const BEARER_RE = /^Bearer +([\x21-\x7E]+) *$/i;
const AUTH_REALM = 'Bearer realm="acs-nbi"';

/** Every route of the NBI, below `/api/v1`; the router and the OpenAPI document are built from it. */
export function nbiRoutes(ctx: NbiContext): RouteDef[] {
  return [...deviceRoutes(ctx), ...taskRoutes(ctx), ...credentialRoutes(ctx), ...deviceTypeRoutes(ctx), ...faultRoutes(ctx), ...tokenRoutes(ctx)];
}

type ZodIssue = z.core.$ZodIssue;

// A union (one task or a list) fails as a whole with one issue per branch; report the branch whose
// shape matched (the one not rejected for its type at the union itself), so the issues point inside.
function unfold(issue: ZodIssue): ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const shaped = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (shaped.length !== 1) return [issue];
  return (shaped[0] as ZodIssue[]).flatMap((i) => unfold({ ...i, path: [...issue.path, ...i.path] } as ZodIssue));
}

function issuesOf(error: z.ZodError, where: NbiIssue['in']): NbiIssue[] {
  return error.issues.flatMap(unfold).map((i) => ({ in: where, path: i.path.map((k) => (typeof k === 'number' ? k : String(k))), message: i.message, code: i.code }));
}

function validate<T>(schema: z.ZodType<T, unknown>, data: unknown, where: NbiIssue['in']): T {
  const result = schema.safeParse(data);
  if (!result.success) throw new NbiValidationError(issuesOf(result.error, where), { cause: result.error });
  return result.data;
}

function authenticate(ctx: NbiContext): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const match = header === undefined ? null : BEARER_RE.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', AUTH_REALM);
      throw new NbiUnauthorizedError(header === undefined ? 'missing bearer token' : 'expected "Authorization: Bearer <token>"');
    }
    const token = match[1] as string;
    let auth: TokenInfo | null = null;
    if (matchesEnvToken(token, ctx.adminToken)) auth = { id: ENV_TOKEN_ID, role: 'admin', createdAt: 0 };
    else auth = await ctx.tokens.verify(token);
    if (!auth) {
      res.set('WWW-Authenticate', `${AUTH_REALM}, error="invalid_token"`);
      throw new NbiUnauthorizedError('unknown or revoked token');
    }
    res.locals.auth = auth;
    next();
  };
}

function authorize(route: RouteDef): RequestHandler {
  return (_req, res, next) => {
    const auth = res.locals.auth as TokenInfo;
    if (needsAdmin(route) && auth.role !== 'admin') throw new NbiForbiddenError(`a ${auth.role} token cannot ${route.method.toUpperCase()} ${API_PREFIX}${route.path}`);
    next();
  };
}

// express.json() skips bodies of other types, which would then read as "no body" (422); say why instead.
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (hasBody && !req.is('application/json')) throw new NbiUnsupportedMediaTypeError('send the body as application/json');
  next();
};

function handle(route: RouteDef): RequestHandler {
  return async (req, res) => {
    const query = validate(route.query ?? EmptyQuery, req.query, 'query');
    const body = route.body ? validate(route.body, req.body, 'body') : undefined;
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const reply = await route.handler({ params: { ...req.params } as Record<string, string>, query, body, auth: res.locals.auth as TokenInfo, signal: aborted.signal });
    if (reply.headers) res.set(reply.headers);
    res.status(reply.status);
    if (reply.body === undefined) res.end();
    else res.json(reply.body);
  };
}

/** express / body-parser errors carry an HTTP status; map the client-side ones to typed errors. */
function fromHttpError(err: unknown): NbiError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  if (err instanceof URIError && e.status === 400) return new NbiBadRequestError('the path is not valid percent-encoding', { cause: err });
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500 || e.expose !== true) return null;
  if (e.type === 'entity.parse.failed') return new NbiBadRequestError('the body is not valid JSON', { cause: err });
  const message = typeof e.message === 'string' ? e.message : 'bad request';
  if (e.status === 413) return new NbiPayloadTooLargeError(message, { cause: err });
  if (e.status === 415) return new NbiUnsupportedMediaTypeError(message, { cause: err });
  return new NbiBadRequestError(message, { cause: err });
}

function errorHandler(ctx: NbiContext): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const known = err instanceof NbiError ? err : (fromStoreError(err) ?? fromHttpError(err));
    if (res.headersSent) {
      ctx.logger.error({ err, method: req.method, path: req.path }, 'NBI request failed after the response started');
      next(err);
      return;
    }
    if (known) {
      if (known.status >= 500) ctx.logger.warn({ err, method: req.method, path: req.path }, 'NBI dependency unavailable');
      res.status(known.status).json(errorBody(known.code, known.message, known.details));
      return;
    }
    ctx.logger.error({ err, method: req.method, path: req.path }, 'NBI request failed');
    res.status(500).json(errorBody('INTERNAL', 'internal error'));
  };
}

function notFound(req: Request): never {
  throw new NbiNotFoundError('route', `${req.method} ${req.baseUrl}${req.path}`);
}

async function storeAnswers(ctx: NbiContext<Pick<DeviceRecords, 'getDevice'>>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)));
  try {
    // A point lookup by primary key: cheap on every adapter, and it fails when the database does.
    return await Promise.race([ctx.store.getDevice('readyz-probe').then(() => true), timeout]);
  } catch (err) {
    ctx.logger.warn({ err }, 'readiness probe: the store does not answer');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The REST NBI as an express 5 app: `/api/v1/...` (bearer token), `/healthz`, `/readyz` and
 * `/openapi.json`. Every failure is answered as `{ error: { code, message, details? } }`.
 */
export function createNbi(deps: NbiDeps): Express {
  const ctx: NbiContext = { ...deps, clock: deps.clock ?? Date.now };
  const routes = nbiRoutes(ctx);
  const document = buildOpenApiDocument(routes);
  const jsonBody = express.json({ limit: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await storeAnswers(ctx);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  const api = express.Router();
  api.use(authenticate(ctx));
  for (const route of routes) {
    const chain: RequestHandler[] = [authorize(route)];
    // Parsed only after the role check, so a read token gets 403 whatever body it sends.
    if (route.body) chain.push(jsonBody, requireJson);
    chain.push(handle(route));
    api[route.method](expressPath(route.path), ...chain);
  }
  api.use(notFound);
  app.use(API_PREFIX, api);
  app.use(notFound);
  app.use(errorHandler(ctx));
  return app;
}
