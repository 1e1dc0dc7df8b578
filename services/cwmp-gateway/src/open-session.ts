import {
  deviceIdFromParts,
  parseInformEvent,
  parseRecordInformRequest,
  parseSessionStartedEvent,
  type RecordInformRequest,
  type RegistryClient,
  type Subjects,
} from '@acs/contracts';
import { CWMP_VERSIONS, CwmpEncodeError, encode, negotiateVersion, type CwmpEnvelope, type CwmpHeader, type Decoded, type Inform } from '@acs/cwmp';
import type { DeviceLock } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import { trace } from '@opentelemetry/api';
import { sessionCookie } from './cookies.js';
import { isReply, type Claim, type Login } from './login.js';
import { XML_CONTENT_TYPE, type CwmpHttpReply, type CwmpHttpRequest, type Replies, type RequestContext } from './replies.js';
import { newSessionId, SessionRepository, type SessionRecord } from './session.js';
import type { SessionEnd } from './session-end.js';
import type { SessionEvents } from './session-events.js';

export interface OpenSessionDeps {
  readonly registry: RegistryClient;
  readonly locks: DeviceLock;
  readonly repo: SessionRepository;
  readonly login: Login;
  readonly replies: Replies;
  /** The session a request names (cookie, or its TCP connection), if any. */
  readonly findSession: (req: CwmpHttpRequest) => Promise<SessionRecord | null>;
  readonly endSession: SessionEnd['endSession'];
  readonly expired: SessionEnd['expired'];
  readonly events: SessionEvents;
  readonly subjects: Subjects;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly settings: {
    readonly connectionFallback: boolean;
    readonly sessionTimeoutMs: number;
    readonly maxSessionMs: number;
    readonly retryAfterS: number;
  };
  readonly now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** An Inform: the login verified for the device it names, then a fresh session. */
export function createOpenSession(deps: OpenSessionDeps) {
  const { registry, locks, repo, login, findSession, endSession, expired, events, subjects, settings: s, now } = deps;
  const { echo, fault, refuse } = deps.replies;
  const informs = deps.metrics.counter('acs.cwmp.informs', { description: 'Informs accepted' });
  const sessionsStarted = deps.metrics.counter('acs.cwmp.sessions.started');

  /** `hadSession`: whether the dispatcher found a session for this request (none: nothing to close by cookie). */
  return async function onInform(req: CwmpHttpRequest, decoded: Exclude<Decoded, { kind: 'empty' }>, ctx: RequestContext, claim: Claim, hadSession: boolean): Promise<CwmpHttpReply> {
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
    // Looked up again (not reused from the dispatcher): it may have changed during the login. When there was
    // none, none can have appeared: session ids are random, and this connection is busy with this request.
    const previous = hadSession ? await findSession(req) : null;
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
    let recorded: Awaited<ReturnType<RegistryClient['recordInform']>>;
    try {
      await repo.create(session);
      // The registry persists the device, its parameters and events BEFORE we answer (architecture, step 2).
      recorded = await registry.recordInform(record);
    } catch (error) {
      await locks.release(lock).catch(() => undefined);
      await repo.remove(session).catch(() => undefined);
      throw error;
    }

    informs.add(1);
    sessionsStarted.add(1);
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
  };
}
