import type { Bus } from '@acs/bus';
import {
  deviceIdFromParts,
  parseInformEvent,
  parseRecordInformRequest,
  parseSessionStartedEvent,
  type RecordInformRequest,
  type RegistryClient,
  type Subjects,
} from '@acs/contracts';
import {
  CWMP_VERSIONS,
  CwmpEncodeError,
  CwmpParseError,
  decodeAsync,
  encode,
  negotiateVersion,
  type CpeRequest,
  type CwmpHeader,
  type CwmpMessage,
  type Decoded,
  type Fault,
  type Inform,
  type CwmpEnvelope,
} from '@acs/cwmp';
import { KvError, type DeviceLock, type RateLimiter, type SessionStore } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import { trace } from '@opentelemetry/api';
import { parse as parseContentType } from 'content-type';
import { createAcsRequests } from './acs-requests.js';
import { sessionCookie, sessionIdFromCookies } from './cookies.js';
import { RegistryError } from './errors.js';
import { createLogin, isReply, type Claim } from './login.js';
import type { NonceService } from './nonce.js';
import { createReplies, XML_CONTENT_TYPE, type CwmpHttpReply, type CwmpHttpRequest, type RequestContext } from './replies.js';
import { newSessionId, SessionRepository, type SessionRecord } from './session.js';
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

const CPE_REQUESTS: ReadonlySet<string> = new Set<CpeRequest['name']>([
  'TransferComplete',
  'AutonomousTransferComplete',
  'RequestDownload',
  'Kicked',
  'DUStateChangeComplete',
  'AutonomousDUStateChangeComplete',
  'GetRPCMethods',
]);

/** The CWMP session machine over one HTTP exchange at a time; all state lives in the kv store. */
export function createCwmpHandler(deps: CwmpHandlerDeps): (req: CwmpHttpRequest) => Promise<CwmpHttpReply> {
  const { registry, locks, bus, subjects, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const repo = new SessionRepository(deps.sessions);
  const iso = (ms: number) => new Date(ms).toISOString();

  const replies = createReplies(deps);
  const { empty, soap, echo, fault, refuse, retryLater } = replies;
  const login = createLogin({ ...deps, repo, replies, now });
  const events = createSessionEvents({ bus, logger: deps.logger });
  const { endSession, expired } = createSessionEnd({ registry, locks, repo, events, subjects, metrics: deps.metrics, now });
  const { next } = createAcsRequests({ registry, repo, replies, endSession, metrics: deps.metrics, settings: s, now });
  const m = {
    informs: deps.metrics.counter('acs.cwmp.informs', { description: 'Informs accepted' }),
    sessionsStarted: deps.metrics.counter('acs.cwmp.sessions.started'),
    cpeRpcs: deps.metrics.counter('acs.cwmp.cpe_rpcs', { description: 'CPE requests answered, by method' }),
  };

  // ---------------------------------------------------------------------------------------------
  // Inform: authentication, then a fresh session

  async function onInform(req: CwmpHttpRequest, decoded: Exclude<Decoded, { kind: 'empty' }>, ctx: RequestContext, claim: Claim): Promise<CwmpHttpReply> {
    const envelope = decoded.envelope as CwmpEnvelope<Inform>;
    const inform = envelope.body;
    const ids = inform.deviceId;
    if (ids.oui.trim() === '' || ids.serialNumber.trim() === '') {
      return refuse(ctx, 400, 'INFORM_WITHOUT_DEVICE_ID');
    }
    const deviceId = deviceIdFromParts(ids.oui, ids.productClass, ids.serialNumber);
    ctx.deviceId = deviceId;
    trace.getActiveSpan()?.setAttribute('acs.device_id', deviceId);
    const log = deps.logger.child({ deviceId, sourceIp: req.sourceIp });

    const verdict = await login.verify(req, ctx, claim, deviceId, ids);
    if (isReply(verdict)) return verdict;

    // --- Version (cwmp-protocol.md §2.2)
    const negotiated = negotiateVersion(envelope.header.supportedCWMPVersions, CWMP_VERSIONS);
    if (negotiated.fault !== undefined) {
      log.warn({ supported: envelope.header.supportedCWMPVersions, code: 'VERSION_INCOMPATIBLE' }, 'no common CWMP version; fault 8006');
      const r = fault(envelope.cwmpNamespace, envelope.header.id, 8006);
      return { ...r, headers: { ...r.headers, Connection: 'close' } };
    }

    // Everything that can refuse the input is checked before the device's lock is taken and its Inform
    // recorded: a CPE whose retry would otherwise meet its own lock (503 DEVICE_IN_SESSION) until it expires.
    const sessionId = newSessionId();
    const startedAt = now();
    const record: RecordInformRequest = {
      sessionId,
      deviceId,
      cwmpVersion: decoded.version,
      inform,
      sourceIp: req.sourceIp,
      auth: {
        scope: verdict.scope,
        credentialId: verdict.credentialId,
        ...(verdict.deviceTypeId === undefined ? {} : { deviceTypeId: verdict.deviceTypeId }),
        username: claim.username,
      },
      receivedAt: iso(startedAt),
    };
    const valid = parseRecordInformRequest(record);
    if (!valid.ok) return refuse(ctx, 400, 'INVALID_INFORM', { err: valid.error.message });
    const header: CwmpHeader = { ...echo(envelope.header.id), ...(negotiated.use === undefined ? {} : { useCWMPVersion: negotiated.use }) };
    let informResponse: string;
    try {
      informResponse = encode({ cwmpNamespace: envelope.cwmpNamespace, header, body: { name: 'InformResponse', maxEnvelopes: 1 } });
    } catch (error) {
      if (!(error instanceof CwmpEncodeError)) throw error;
      return refuse(ctx, 400, 'INFORM_NOT_ANSWERABLE', { err: error.message });
    }

    // --- An Inform always starts a fresh session. This device's previous session, named by the cookie (or by
    // the connection, for a CPE without cookies), or idle past its timeout, is closed first; a live session
    // opened elsewhere keeps its lock (503).
    const previous = await findSession(req);
    if (previous !== null && previous.deviceId === deviceId) await endSession(previous, 'aborted', log.child({ sessionId: previous.id }));
    const current = await repo.byDevice(deviceId);
    if (current !== null && expired(current)) await endSession(current, 'timeout', log.child({ sessionId: current.id }));

    const timeoutMs =
      envelope.header.sessionTimeout !== undefined && envelope.header.sessionTimeout > 0
        ? Math.min(Math.max(envelope.header.sessionTimeout * 1000, 1_000), s.maxSessionMs)
        : s.sessionTimeoutMs;
    const lock = await locks.acquire(deviceId, timeoutMs);
    if (lock === null) return refuse(ctx, 503, 'DEVICE_IN_SESSION', {}, { 'Retry-After': String(s.retryAfterS) });

    ctx.sessionId = sessionId;
    trace.getActiveSpan()?.setAttribute('acs.session_id', sessionId);
    const slog = log.child({ sessionId });
    const session: SessionRecord = {
      format: 1,
      id: sessionId,
      deviceId,
      cwmpNamespace: envelope.cwmpNamespace,
      cwmpVersion: decoded.version,
      state: 'cpe_requests',
      pending: null,
      holdRequests: false,
      counters: { cpeRequests: 0, acsRequests: 0, faults: 0, messages: 1 },
      startedAt,
      lastSeenAt: startedAt,
      timeoutMs,
      lock,
      eventCodes: inform.event.map((e) => e.eventCode.trim()).filter((c) => c !== ''),
      rpcs: [],
      sourceIp: req.sourceIp,
      username: claim.username,
      ...(req.sourcePort === undefined || !s.connectionFallback ? {} : { addressKey: SessionRepository.addressKey(req.sourceIp, req.sourcePort) }),
    };
    let recorded: Awaited<ReturnType<typeof registry.recordInform>>;
    try {
      await repo.create(session);
      // The registry persists the device, its parameters and events BEFORE we answer (architecture, step 2).
      recorded = await registry.recordInform(record);
    } catch (error) {
      await locks.release(lock).catch(() => undefined);
      await repo.remove(session).catch(() => undefined);
      throw error;
    }

    m.informs.add(1);
    m.sessionsStarted.add(1);
    events.publishChecked(
      subjects.evt.sessionStarted(deviceId),
      // A session answering a poke names it, so the poker sees the loop close (architecture, "A poke", step 4).
      {
        deviceId,
        sessionId,
        startedAt: iso(startedAt),
        eventCodes: session.eventCodes,
        ...(recorded.pokeRequestId === undefined ? {} : { requestId: recorded.pokeRequestId }),
      },
      parseSessionStartedEvent,
    );
    events.publishChecked(
      subjects.evt.inform(deviceId),
      {
        deviceId,
        sessionId,
        receivedAt: iso(startedAt),
        cwmpVersion: decoded.version,
        deviceIdStruct: ids,
        events: inform.event,
        currentTime: inform.currentTime,
        retryCount: inform.retryCount,
        parameters: inform.parameterList.map((p) => ({ name: p.name, value: p.value, type: `xsd:${p.type}` })),
      },
      parseInformEvent,
    );
    slog.info({ events: session.eventCodes, cwmpVersion: decoded.version, timeoutMs }, 'session started');
    return { status: 200, headers: { 'Content-Type': XML_CONTENT_TYPE, 'Set-Cookie': sessionCookie(sessionId) }, body: informResponse };
  }

  // ---------------------------------------------------------------------------------------------
  // Every other POST of a session

  async function findSession(req: CwmpHttpRequest): Promise<SessionRecord | null> {
    const id = sessionIdFromCookies(req.cookie);
    if (id !== undefined) return repo.load(id);
    // A CPE that drops cookies: the session it opened on this very TCP connection (README: what it costs).
    return req.sourcePort === undefined || !s.connectionFallback ? null : repo.byAddress(req.sourceIp, req.sourcePort);
  }

  async function inSession(
    req: CwmpHttpRequest,
    decoded: Decoded | CwmpParseError,
    session: SessionRecord,
    ctx: RequestContext,
  ): Promise<CwmpHttpReply> {
    const log = deps.logger.child({ deviceId: session.deviceId, sessionId: session.id, sourceIp: req.sourceIp });
    if (expired(session)) {
      await endSession(session, 'timeout', log);
      return refuse(ctx, 400, 'SESSION_EXPIRED');
    }
    if (!(await locks.extend(session.lock, session.timeoutMs))) {
      // The lock lapsed in the store before our clock said the session expired (skew): take it again if it is
      // free; if another session of the device holds it, this one is over.
      const again = await locks.acquire(session.deviceId, session.timeoutMs);
      if (again === null) {
        await endSession(session, 'aborted', log);
        return refuse(ctx, 400, 'SESSION_LOCK_LOST');
      }
      session.lock = again;
    }
    session.lastSeenAt = now();
    session.counters.messages += 1;

    if (decoded instanceof CwmpParseError) {
      // Inside a live session a CWMP fault keeps the CPE talking (8000 for a method we do not know).
      const code = decoded.code === 'UNKNOWN_METHOD' ? 8000 : 8003;
      log.warn({ code: decoded.code, method: decoded.method, err: decoded.message }, `malformed CWMP message; fault ${code}`);
      session.counters.faults += 1;
      await repo.save(session);
      return fault(session.cwmpNamespace, decoded.id, code);
    }

    // NoMoreRequests (deprecated, in no BBF schema) is ignored on purpose: only the empty POST ends the CPE's
    // requests (cwmp-protocol.md §1.5).
    switch (decoded.kind) {
      case 'empty': {
        session.state = 'acs_requests';
        if (session.pending !== null) {
          // An empty POST while our request is unanswered: the CPE dropped it. Report it, then carry on.
          const p = session.pending;
          log.warn({ method: p.method, taskId: p.taskId, code: 'RPC_UNANSWERED' }, 'empty POST instead of the answer to our request');
          await registry.recordResult({ sessionId: session.id, deviceId: session.deviceId, taskId: p.taskId, method: p.method, outcome: { timeout: true } });
          session.rpcs.push({ name: p.method, taskId: p.taskId, outcome: 'fault' });
          session.pending = null;
        }
        await repo.save(session);
        return next(session, log);
      }
      case 'request': {
        const body = decoded.envelope.body;
        const id = decoded.envelope.header.id;
        if (!CPE_REQUESTS.has(body.name)) {
          log.warn({ method: body.name, code: 'METHOD_NOT_SUPPORTED' }, 'CPE request we do not serve; fault 8000');
          await repo.save(session);
          return fault(session.cwmpNamespace, id, 8000);
        }
        if (session.holdRequests) {
          // TR-069 §1.5: with HoldRequests=1 in force the CPE may send responses and empty POSTs only.
          log.warn({ method: body.name, code: 'HOLD_REQUESTS' }, 'CPE request while HoldRequests is in force; fault 8003');
          await repo.save(session);
          return fault(session.cwmpNamespace, id, 8003, 'HoldRequests is in force');
        }
        session.counters.cpeRequests += 1;
        const reply = await registry.cpeRequest({
          sessionId: session.id,
          deviceId: session.deviceId,
          request: body as Exclude<CpeRequest, Inform>,
        });
        await repo.save(session);
        m.cpeRpcs.add(1, { method: body.name });
        if ('fault' in reply) return fault(session.cwmpNamespace, id, reply.fault.code, reply.fault.message);
        return soap({ cwmpNamespace: session.cwmpNamespace, header: echo(id), body: reply.response as CwmpMessage });
      }
      case 'response':
      case 'fault': {
        const body = decoded.envelope.body;
        const id = decoded.envelope.header.id;
        const p = session.pending;
        if (p === null) {
          log.warn({ method: body.name, code: 'UNEXPECTED_RESPONSE' }, 'response with no request outstanding; ignored');
          return next(session, log);
        }
        const nameOk = decoded.kind === 'fault' || body.name === `${p.method}Response`;
        // A missing ID is tolerated (some CPEs send no Header at all); a different one is not (GenieACS: invalid_response).
        if ((id !== undefined && id.trim() !== p.cwmpId) || !nameOk) {
          deps.logger.warn(
            { ...ctx, deviceId: session.deviceId, sessionId: session.id, expected: { id: p.cwmpId, method: p.method }, got: { id, method: body.name }, code: 'RESPONSE_MISMATCH' },
            'answer does not match the outstanding request; session ended',
          );
          replies.rejected.add(1, { status: 400, reason: 'RESPONSE_MISMATCH' });
          await endSession(session, 'faulted', log);
          return empty(400, { Connection: 'close' });
        }
        const isFault = body.name === 'Fault';
        await registry.recordResult({
          sessionId: session.id,
          deviceId: session.deviceId,
          taskId: p.taskId,
          method: p.method,
          outcome: isFault ? { fault: body as Fault } : { response: body as never },
        });
        if (isFault) {
          const code = (body as Fault).detail.faultCode;
          replies.faults.add(1, { code, direction: 'cpe' });
          session.counters.faults += 1;
          session.rpcs.push({ name: p.method, taskId: p.taskId, outcome: 'fault', faultCode: code });
        } else {
          session.rpcs.push({ name: p.method, taskId: p.taskId, outcome: 'ok' });
        }
        session.pending = null;
        session.state = 'acs_requests';
        // Saved before asking for more: if the registry fails now, a later close of this session must not
        // report the RPC just recorded as timed out.
        await repo.save(session);
        return next(session, log);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

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
        return await onInform(req, decoded, ctx, claim);
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
        deps.logger.error({ ...ctx, err: error, code: error.code, subject: error.subject }, 'registry call failed');
        return error.retryable ? retryLater() : empty(500, { Connection: 'close' });
      }
      if (error instanceof KvError) {
        deps.logger.error({ ...ctx, err: error, code: error.code }, 'session store failed');
        return retryLater();
      }
      deps.logger.error({ ...ctx, err: error, code: 'INTERNAL' }, 'CWMP request failed');
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

