import { CPE_METHODS_SERVED, type RegistryClient } from '@acs/contracts';
import { CwmpParseError, type CpeRequest, type CwmpMessage, type Decoded, type Fault, type Inform } from '@acs/cwmp';
import type { DeviceLock } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import type { AcsRequests } from './acs-requests.js';
import type { CwmpHttpReply, CwmpHttpRequest, Replies, RequestContext } from './replies.js';
import type { SessionRecord, SessionRepository } from './session.js';
import type { SessionEnd } from './session-end.js';

export interface InSessionDeps {
  readonly registry: RegistryClient;
  readonly locks: DeviceLock;
  readonly repo: SessionRepository;
  readonly replies: Replies;
  readonly endSession: SessionEnd['endSession'];
  readonly expired: SessionEnd['expired'];
  readonly next: AcsRequests['next'];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
}

const CPE_REQUESTS: ReadonlySet<string> = new Set(CPE_METHODS_SERVED.filter((m) => m !== 'Inform'));

/** Every POST of a live session but an Inform: the empty POST, a CPE request, or the answer to ours. */
export function createInSession(deps: InSessionDeps) {
  const { registry, locks, repo, replies, endSession, expired, next, now } = deps;
  const { empty, soap, echo, fault, refuse } = replies;
  const cpeRpcs = deps.metrics.counter('acs.cwmp.cpe_rpcs', { description: 'CPE requests answered, by method' });

  return async function inSession(
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
        cpeRpcs.add(1, { method: body.name });
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
  };
}
