import { createHash } from 'node:crypto';
import type { Bus } from '@acs/bus';
import {
  deviceIdFromParts,
  parseInformEvent,
  parseSessionEndedEvent,
  parseSessionStartedEvent,
  type CredentialProof,
  type RegistryClient,
  type SessionOutcome,
  type Subjects,
} from '@acs/contracts';
import {
  CWMP_VERSIONS,
  CwmpEncodeError,
  CwmpParseError,
  decode,
  encode,
  makeFault,
  negotiateVersion,
  type AcsRequest,
  type CpeRequest,
  type CwmpEnvelope,
  type CwmpHeader,
  type CwmpMessage,
  type Decoded,
  type Fault,
  type Inform,
} from '@acs/cwmp';
import { KvError, type DeviceLock, type RateLimiter, type SessionStore } from '@acs/kv';
import { injectTraceContext, type Logger, type Metrics } from '@acs/telemetry';
import { trace } from '@opentelemetry/api';
import { parse as parseContentType } from 'content-type';
import { challengeHeaders, parseAuthorization, precheckDigest } from './auth.js';
import { sessionCookie, sessionIdFromCookies } from './cookies.js';
import { RegistryError } from './errors.js';
import type { NonceService } from './nonce.js';
import { newCwmpId, newSessionId, SessionRepository, type SessionRecord } from './session.js';

/** An HTTP request reduced to what the CWMP session machine needs. */
export interface CwmpHttpRequest {
  readonly method: string;
  /** Path and query as sent (the Digest `uri` must name it). */
  readonly requestTarget: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly authorization?: string;
  readonly cookie?: string | string[];
  readonly sourceIp: string;
  /** Source port of the TCP connection; absent behind a proxy, where it is the proxy's. */
  readonly sourcePort?: number;
  /** TLS here or (from a trusted proxy) at the load balancer. */
  readonly secure: boolean;
}

export interface CwmpHttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: string;
}

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

const XML_CONTENT_TYPE = 'text/xml; charset="utf-8"';
const CPE_REQUESTS: ReadonlySet<string> = new Set<CpeRequest['name']>([
  'TransferComplete',
  'AutonomousTransferComplete',
  'RequestDownload',
  'Kicked',
  'DUStateChangeComplete',
  'AutonomousDUStateChangeComplete',
  'GetRPCMethods',
]);

/** Correlation fields filled in as a request is understood, so that its one log line carries them. */
interface RequestContext {
  readonly sourceIp: string;
  deviceId?: string;
  sessionId?: string;
}

type EndOutcome = SessionOutcome;

/** The CWMP session machine over one HTTP exchange at a time; all state lives in the kv store. */
export function createCwmpHandler(deps: CwmpHandlerDeps): (req: CwmpHttpRequest) => Promise<CwmpHttpReply> {
  const { registry, locks, rateLimiter, bus, subjects, nonces, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const repo = new SessionRepository(deps.sessions);
  const iso = (ms: number) => new Date(ms).toISOString();

  const m = {
    informs: deps.metrics.counter('acs.cwmp.informs', { description: 'Informs accepted' }),
    sessionsStarted: deps.metrics.counter('acs.cwmp.sessions.started'),
    sessionsEnded: deps.metrics.counter('acs.cwmp.sessions.ended', { description: 'by outcome' }),
    rpcs: deps.metrics.counter('acs.cwmp.rpcs', { description: 'ACS requests sent, by method' }),
    cpeRpcs: deps.metrics.counter('acs.cwmp.cpe_rpcs', { description: 'CPE requests answered, by method' }),
    faults: deps.metrics.counter('acs.cwmp.faults', { description: 'CWMP faults, by code and direction' }),
    authFailures: deps.metrics.counter('acs.cwmp.auth.failures', { description: 'failed logins, by reason' }),
    rejected: deps.metrics.counter('acs.cwmp.rejected', { description: 'HTTP requests refused, by status and reason' }),
    duration: deps.metrics.histogram('acs.cwmp.session.duration', { unit: 'ms', description: 'session length, by outcome' }),
  };

  // ---------------------------------------------------------------------------------------------
  // Replies

  const empty = (status: number, headers: Record<string, string | readonly string[]> = {}): CwmpHttpReply => ({
    status,
    headers,
    body: '',
  });
  const retryLater = (): CwmpHttpReply => empty(503, { 'Retry-After': String(s.retryAfterS), Connection: 'close' });
  const soap = (envelope: CwmpEnvelope, headers: Record<string, string | readonly string[]> = {}): CwmpHttpReply => ({
    status: 200,
    headers: { 'Content-Type': XML_CONTENT_TYPE, ...headers },
    body: encode(envelope),
  });
  // cwmp-protocol.md §1.5: echo the ID only if the request carried one (possibly empty).
  const echo = (id: string | undefined): CwmpHeader => (id === undefined ? {} : { id });
  const fault = (cwmpNamespace: string, id: string | undefined, code: number, message?: string): CwmpHttpReply => {
    m.faults.add(1, { code, direction: 'acs' });
    return soap({ cwmpNamespace, header: echo(id), body: makeFault(code, message) });
  };

  function refuse(ctx: RequestContext, status: number, reason: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): CwmpHttpReply {
    m.rejected.add(1, { status, reason });
    deps.logger.warn({ ...ctx, status, code: reason, ...extra }, `CWMP request refused: ${reason}`);
    return empty(status, { Connection: 'close', ...headers });
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  function publish(subject: string, payload: object): void {
    try {
      bus.publish(subject, payload, { headers: injectTraceContext() });
    } catch (error) {
      // Events are best effort: a bus hiccup must not fail a CPE session that the registry already recorded.
      deps.logger.warn({ err: error, subject }, 'event not published');
    }
  }

  function publishChecked<T>(subject: string, payload: T, check: (v: unknown) => { ok: boolean; error?: Error }): void {
    const r = check(payload);
    if (!r.ok) {
      deps.logger.warn({ subject, err: r.error }, 'event payload breaks its contract; not published');
      return;
    }
    publish(subject, payload as object);
  }

  // ---------------------------------------------------------------------------------------------
  // Session lifecycle

  const expired = (session: SessionRecord): boolean => now() - session.lastSeenAt > session.timeoutMs;

  /** Ends a session: reports an unanswered RPC as timed out, releases the lock, drops the record, tells the bus. */
  async function endSession(session: SessionRecord, outcome: EndOutcome, log: Logger): Promise<void> {
    if (session.pending !== null) {
      const p = session.pending;
      try {
        await registry.recordResult({ sessionId: session.id, deviceId: session.deviceId, taskId: p.taskId, method: p.method, outcome: { timeout: true } });
      } catch (error) {
        // The registry keeps the task pending for the next session anyway (architecture: nothing is lost).
        log.warn({ err: error, taskId: p.taskId }, 'could not report the unanswered RPC as timed out');
      }
      session.rpcs.push({ name: p.method, taskId: p.taskId, outcome: 'fault' });
      session.pending = null;
    }
    await locks.release(session.lock).catch((error: unknown) => log.warn({ err: error }, 'lock not released; it will expire'));
    await repo.remove(session);
    const endedAt = now();
    m.sessionsEnded.add(1, { outcome });
    m.duration.record(Math.max(0, endedAt - session.startedAt), { outcome });
    publishChecked(
      subjects.evt.sessionEnded(session.deviceId),
      {
        deviceId: session.deviceId,
        sessionId: session.id,
        startedAt: iso(session.startedAt),
        endedAt: iso(endedAt),
        durationMs: Math.max(0, endedAt - session.startedAt),
        outcome,
        eventCodes: session.eventCodes,
        rpcs: session.rpcs,
        tasksDone: session.rpcs.filter((r) => r.outcome === 'ok' && r.taskId !== undefined).map((r) => r.taskId as string),
        tasksFaulted: session.rpcs.filter((r) => r.outcome === 'fault' && r.taskId !== undefined).map((r) => r.taskId as string),
      },
      parseSessionEndedEvent,
    );
    log.info({ outcome, rpcs: session.rpcs.length, durationMs: endedAt - session.startedAt }, 'session ended');
  }

  /** Asks the registry for the next ACS request, or ends the session with 204 when there is none. */
  async function next(session: SessionRecord, log: Logger): Promise<CwmpHttpReply> {
    for (;;) {
      if (now() - session.startedAt > s.maxSessionMs) {
        log.warn({ maxSessionMs: s.maxSessionMs }, 'session reached its maximum duration');
        await endSession(session, 'timeout', log);
        return empty(204);
      }
      if (session.counters.acsRequests >= s.maxRpcsPerSession) {
        log.warn({ maxRpcs: s.maxRpcsPerSession }, 'session reached its maximum number of RPCs');
        await endSession(session, 'aborted', log);
        return empty(204);
      }
      const action = await registry.nextAction({ sessionId: session.id, deviceId: session.deviceId });
      if (action.action === 'none') {
        await endSession(session, 'completed', log);
        return empty(204);
      }
      const rpc = action.rpc as AcsRequest;
      const cwmpId = newCwmpId();
      const header: CwmpHeader = session.holdRequests ? { id: cwmpId, holdRequests: true } : { id: cwmpId };
      let body: string;
      try {
        body = encode({ cwmpNamespace: session.cwmpNamespace, header, body: rpc as CwmpMessage });
      } catch (error) {
        if (!(error instanceof CwmpEncodeError)) throw error;
        // The task carries something XML cannot hold: fail that task, move on to the next one.
        log.error({ err: error, taskId: action.taskId, method: rpc.name }, 'ACS request cannot be encoded');
        const f: Fault = makeFault(8002, `ACS request cannot be encoded: ${error.message}`);
        await registry.recordResult({ sessionId: session.id, deviceId: session.deviceId, taskId: action.taskId, method: rpc.name, outcome: { fault: f } });
        session.rpcs.push({ name: rpc.name, taskId: action.taskId, outcome: 'fault', faultCode: 8002 });
        session.counters.acsRequests += 1;
        continue;
      }
      session.pending = { cwmpId, taskId: action.taskId, method: rpc.name, sentAt: now() };
      session.counters.acsRequests += 1;
      await repo.save(session);
      m.rpcs.add(1, { method: rpc.name });
      log.debug({ method: rpc.name, taskId: action.taskId, cwmpId }, 'ACS request sent');
      return { status: 200, headers: { 'Content-Type': XML_CONTENT_TYPE }, body };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Inform: authentication, then a fresh session

  const sha = (v: string) => createHash('sha256').update(v).digest('base64url').slice(0, 22);
  const blockKeys = (ip: string, username: string | undefined) => [`block:ip:${ip}`, ...(username === undefined ? [] : [`block:user:${sha(username)}`])];

  async function blockedFor(ip: string, username: string | undefined): Promise<number> {
    let until = 0;
    for (const key of blockKeys(ip, username)) {
      const v = (await repo.getValue(key)) as { until?: unknown } | null;
      if (v !== null && typeof v.until === 'number') until = Math.max(until, v.until);
    }
    return until > now() ? until : 0;
  }

  /** Counts one failed login against the source IP and the username; true when one of them is now over its limit. */
  async function countFailure(ip: string, username: string, reason: string): Promise<boolean> {
    m.authFailures.add(1, { reason });
    const limit = { limit: s.authFailLimit, windowMs: s.authFailWindowMs };
    let blocked = false;
    for (const [key, hit] of [
      [`block:ip:${ip}`, await rateLimiter.hit(`cwmp:authfail:ip:${ip}`, limit)],
      [`block:user:${sha(username)}`, await rateLimiter.hit(`cwmp:authfail:user:${sha(username)}`, limit)],
    ] as const) {
      if (!hit.allowed) {
        blocked = true;
        await repo.putValue(key, { until: now() + hit.retryAfterMs }, hit.retryAfterMs);
      }
    }
    return blocked;
  }

  function challenge(req: CwmpHttpRequest, stale: boolean, extra: Record<string, string> = {}): CwmpHttpReply {
    const headers = challengeHeaders({ realm: s.realm, nonce: nonces.issue(s.realm), stale, offerBasic: req.secure || s.allowBasic });
    return empty(401, { 'WWW-Authenticate': headers, ...extra });
  }

  async function onInform(req: CwmpHttpRequest, decoded: Exclude<Decoded, { kind: 'empty' }>, ctx: RequestContext): Promise<CwmpHttpReply> {
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

    // --- Who is it? (cwmp-protocol.md §6.1)
    const auth = parseAuthorization(req.authorization);
    let username: string;
    let proof: CredentialProof;
    switch (auth.scheme) {
      case 'none':
        return challenge(req, false);
      case 'malformed':
        log.debug({ reason: auth.reason }, 'unparsable Authorization header; challenging');
        return challenge(req, false);
      case 'basic':
        if (!req.secure && !s.allowBasic) {
          // Pre-emptive Basic over plain HTTP (pitfall 19): not a failed login, just ask for Digest.
          log.info('Basic credentials over plain HTTP refused; challenging for Digest');
          return challenge(req, false);
        }
        username = auth.username;
        proof = { scheme: 'basic', password: auth.password };
        break;
      case 'digest': {
        const pre = precheckDigest(auth, { realm: s.realm, method: req.method, requestTarget: req.requestTarget, nonces });
        if (!pre.ok && pre.stale) return challenge(req, true);
        username = auth.username;
        if (!pre.ok) {
          if (await blockedFor(req.sourceIp, username)) return tooManyFailures(ctx, username);
          if (await countFailure(req.sourceIp, username, `digest_${pre.reason}`)) return tooManyFailures(ctx, username, pre.reason);
          log.warn({ reason: pre.reason, username, code: 'AUTH_FAILED' }, 'Digest credentials rejected before verification');
          return challenge(req, false, { Connection: 'close' });
        }
        proof = pre.proof;
        break;
      }
    }
    if (await blockedFor(req.sourceIp, username)) return tooManyFailures(ctx, username);
    const verdict = await registry.verifyCredentials({ deviceId, deviceIdStruct: ids, username, proof, sourceIp: req.sourceIp });
    if (!verdict.ok) {
      // One log line per refused request: the failure that trips the limit is logged as the block.
      if (await countFailure(req.sourceIp, username, verdict.reason)) return tooManyFailures(ctx, username, verdict.reason);
      log.warn({ reason: verdict.reason, username, code: 'AUTH_FAILED' }, 'login refused');
      return challenge(req, false, { Connection: 'close' });
    }

    // --- Version (cwmp-protocol.md §2.2)
    const negotiated = negotiateVersion(envelope.header.supportedCWMPVersions, CWMP_VERSIONS);
    if (negotiated.fault !== undefined) {
      log.warn({ supported: envelope.header.supportedCWMPVersions, code: 'VERSION_INCOMPATIBLE' }, 'no common CWMP version; fault 8006');
      const r = fault(envelope.cwmpNamespace, envelope.header.id, 8006);
      return { ...r, headers: { ...r.headers, Connection: 'close' } };
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

    const sessionId = newSessionId();
    ctx.sessionId = sessionId;
    trace.getActiveSpan()?.setAttribute('acs.session_id', sessionId);
    const slog = log.child({ sessionId });
    const startedAt = now();
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
      username,
      ...(req.sourcePort === undefined || !s.connectionFallback ? {} : { addressKey: SessionRepository.addressKey(req.sourceIp, req.sourcePort) }),
    };
    let recorded: Awaited<ReturnType<typeof registry.recordInform>>;
    try {
      await repo.create(session);
      // The registry persists the device, its parameters and events BEFORE we answer (architecture, step 2).
      recorded = await registry.recordInform({
        sessionId,
        deviceId,
        cwmpVersion: decoded.version,
        inform,
        sourceIp: req.sourceIp,
        auth: {
          scope: verdict.scope,
          credentialId: verdict.credentialId,
          ...(verdict.deviceTypeId === undefined ? {} : { deviceTypeId: verdict.deviceTypeId }),
          username,
        },
        receivedAt: iso(startedAt),
      });
    } catch (error) {
      await locks.release(lock).catch(() => undefined);
      await repo.remove(session).catch(() => undefined);
      throw error;
    }

    m.informs.add(1);
    m.sessionsStarted.add(1);
    publishChecked(
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
    publishChecked(
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

    const header: CwmpHeader = { ...echo(envelope.header.id), ...(negotiated.use === undefined ? {} : { useCWMPVersion: negotiated.use }) };
    return soap(
      { cwmpNamespace: envelope.cwmpNamespace, header, body: { name: 'InformResponse', maxEnvelopes: 1 } },
      { 'Set-Cookie': sessionCookie(sessionId) },
    );
  }

  function tooManyFailures(ctx: RequestContext, username: string, reason?: string): CwmpHttpReply {
    return refuse(ctx, 503, 'TOO_MANY_FAILED_LOGINS', { username, ...(reason === undefined ? {} : { reason }) }, { 'Retry-After': String(s.retryAfterS) });
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
          m.rejected.add(1, { status: 400, reason: 'RESPONSE_MISMATCH' });
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
          m.faults.add(1, { code, direction: 'cpe' });
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

  return async function handle(req: CwmpHttpRequest): Promise<CwmpHttpReply> {
    const ctx: RequestContext = { sourceIp: req.sourceIp };
    if (req.method !== 'POST') return { ...empty(405, { Allow: 'POST' }) };
    try {
      let decoded: Decoded | CwmpParseError;
      try {
        decoded = decode(req.body, { maxBytes: s.maxBodyBytes, charset: charsetOf(req.contentType) });
      } catch (error) {
        if (!(error instanceof CwmpParseError)) throw error;
        decoded = error;
      }
      if (!(decoded instanceof CwmpParseError) && decoded.kind === 'request' && decoded.envelope.body.name === 'Inform') {
        return await onInform(req, decoded, ctx);
      }
      const session = await findSession(req);
      if (session !== null) {
        ctx.deviceId = session.deviceId;
        ctx.sessionId = session.id;
        trace.getActiveSpan()?.setAttributes({ 'acs.device_id': session.deviceId, 'acs.session_id': session.id });
        return await inSession(req, decoded, session, ctx);
      }
      if (decoded instanceof CwmpParseError) {
        return refuse(ctx, decoded.code === 'TOO_LARGE' ? 413 : 400, decoded.code, { method: decoded.method, err: decoded.message });
      }
      return refuse(ctx, 400, decoded.kind === 'empty' ? 'EMPTY_POST_WITHOUT_SESSION' : 'NO_SESSION', decoded.kind === 'empty' ? {} : { method: decoded.envelope.body.name });
    } catch (error) {
      if (error instanceof RegistryError) {
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

