import type { Bus } from '@acs/bus';
import type { RegistryClient, Subjects } from '@acs/contracts';
import { CwmpParseError, decodeAsync, type Decoded } from '@acs/cwmp';
import { KvError, type DeviceLock, type RateLimiter, type SessionStore } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import { trace } from '@opentelemetry/api';
import { parse as parseContentType } from 'content-type';
import { createAcsRequests } from './acs-requests.js';
import { sessionIdFromCookies } from './cookies.js';
import { RegistryError } from './errors.js';
import { createInSession } from './in-session.js';
import { createLogin, isReply, type Claim } from './login.js';
import type { NonceService } from './nonce.js';
import { createOpenSession } from './open-session.js';
import { createReplies, type CwmpHttpReply, type CwmpHttpRequest, type RequestContext } from './replies.js';
import { SessionRepository, type SessionRecord } from './session.js';
import { createSessionEnd } from './session-end.js';
import { createSessionEvents } from './session-events.js';

export type { CwmpHttpReply, CwmpHttpRequest } from './replies.js';

export interface CwmpHandlerSettings {
  readonly realm: string;
  readonly allowBasic: boolean;
  /**
   * Find the session of a cookie-less CPE by its TCP connection (source address and port). Only sound when the
   * source really is the CPE: off behind a proxy that is not trusted (and so not recognised as one).
   */
  readonly connectionFallback: boolean;
  readonly maxBodyBytes: number;
  readonly sessionTimeoutMs: number;
  readonly maxSessionMs: number;
  readonly maxRpcsPerSession: number;
  readonly authFailLimit: number;
  readonly authFailWindowMs: number;
  readonly retryAfterS: number;
}

export interface CwmpHandlerDeps {
  readonly registry: RegistryClient;
  readonly sessions: SessionStore;
  readonly locks: DeviceLock;
  readonly rateLimiter: RateLimiter;
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly nonces: NonceService;
  readonly settings: CwmpHandlerSettings;
  readonly now?: () => number;
}

/** The CWMP session machine over one HTTP exchange at a time; all state lives in the kv store. */
export function createCwmpHandler(deps: CwmpHandlerDeps): (req: CwmpHttpRequest) => Promise<CwmpHttpReply> {
  const { registry, locks, rateLimiter, bus, subjects, logger, metrics, nonces, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const repo = new SessionRepository(deps.sessions);

  const replies = createReplies({ logger, metrics, nonces, settings: s });
  const { empty, refuse, retryLater } = replies;
  const login = createLogin({ registry, rateLimiter, repo, nonces, replies, logger, metrics, settings: s, now });
  const events = createSessionEvents({ bus, logger });
  const { endSession, expired } = createSessionEnd({ registry, locks, repo, events, subjects, metrics, now });
  const { next } = createAcsRequests({ registry, repo, replies, endSession, metrics, settings: s, now });
  const onInform = createOpenSession({ registry, locks, repo, login, replies, findSession, endSession, expired, events, subjects, logger, metrics, settings: s, now });
  const inSession = createInSession({ registry, locks, repo, replies, endSession, expired, next, logger, metrics, now });

  async function findSession(req: CwmpHttpRequest): Promise<SessionRecord | null> {
    const id = sessionIdFromCookies(req.cookie);
    if (id !== undefined) return repo.load(id);
    // A CPE that drops cookies: the session it opened on this very TCP connection (README: what it costs).
    return req.sourcePort === undefined || !s.connectionFallback ? null : repo.byAddress(req.sourceIp, req.sourcePort);
  }

  /**
   * One HTTP exchange. A request that has neither a session (cookie, or this TCP connection) nor usable
   * credentials is challenged before its body is parsed, whatever it carries (curl's Digest client and many
   * CPE stacks probe with an empty POST); only then is the body parsed, without stalling the event loop.
   */
  return async function handle(req: CwmpHttpRequest): Promise<CwmpHttpReply> {
    const ctx: RequestContext = { sourceIp: req.sourceIp };
    if (req.method !== 'POST') return { ...empty(405, { Allow: 'POST' }) };
    try {
      const session = await findSession(req);
      let claim: Claim | undefined;
      if (session === null) {
        const claimed = await login.claim(req, ctx);
        if (isReply(claimed)) return claimed;
        claim = claimed;
      }
      let decoded: Decoded | CwmpParseError;
      try {
        decoded = await decodeAsync(req.body, { maxBytes: s.maxBodyBytes, charset: charsetOf(req.contentType) });
      } catch (error) {
        if (!(error instanceof CwmpParseError)) throw error;
        decoded = error;
      }
      if (!(decoded instanceof CwmpParseError) && decoded.kind === 'request' && decoded.envelope.body.name === 'Inform') {
        // An Inform inside a live session opens a new one: it needs credentials like any other.
        if (claim === undefined) {
          const claimed = await login.claim(req, ctx);
          if (isReply(claimed)) return claimed;
          claim = claimed;
        }
        return await onInform(req, decoded, ctx, claim, session !== null);
      }
      if (session !== null) {
        ctx.deviceId = session.deviceId;
        ctx.sessionId = session.id;
        trace.getActiveSpan()?.setAttributes({ 'acs.device_id': session.deviceId, 'acs.session_id': session.id });
        return await inSession(req, decoded, session, ctx);
      }
      if (decoded instanceof CwmpParseError) {
        const status = decoded.code === 'TOO_LARGE' || decoded.code === 'XML_LIMIT' ? 413 : 400;
        return refuse(ctx, status, decoded.code, { method: decoded.method, err: decoded.message });
      }
      return refuse(ctx, 400, decoded.kind === 'empty' ? 'EMPTY_POST_WITHOUT_SESSION' : 'NO_SESSION', decoded.kind === 'empty' ? {} : { method: decoded.envelope.body.name });
    } catch (error) {
      if (error instanceof RegistryError) {
        if (error.code === 'INVALID_PAYLOAD') {
          // What we forwarded came from the CPE and broke the registry's contract: the CPE's input is at fault.
          return refuse(ctx, 400, 'REGISTRY_REFUSED_INPUT', { subject: error.subject, err: error.message });
        }
        logger.error({ ...ctx, err: error, code: error.code, subject: error.subject }, 'registry call failed');
        return error.retryable ? retryLater() : empty(500, { Connection: 'close' });
      }
      if (error instanceof KvError) {
        logger.error({ ...ctx, err: error, code: error.code }, 'session store failed');
        return retryLater();
      }
      logger.error({ ...ctx, err: error, code: 'INTERNAL' }, 'CWMP request failed');
      return empty(500, { Connection: 'close' });
    }
  };
}

function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  try {
    return parseContentType(contentType).parameters.charset;
  } catch {
    // CPEs send odd Content-Types (cwmp-protocol.md §1.3); the XML declaration or UTF-8 decides then.
    return undefined;
  }
}

