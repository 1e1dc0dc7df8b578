import type { RegistryClient } from '@acs/contracts';
import { CwmpEncodeError, encode, makeFault, type AcsRequest, type CwmpHeader, type CwmpMessage, type Fault } from '@acs/cwmp';
import type { Logger, Metrics } from '@acs/telemetry';
import { XML_CONTENT_TYPE, type CwmpHttpReply, type Replies } from './replies.js';
import { newCwmpId, type SessionRecord, type SessionRepository } from './session.js';
import type { SessionEnd } from './session-end.js';

export interface AcsRequestsDeps {
  readonly registry: RegistryClient;
  readonly repo: SessionRepository;
  readonly replies: Replies;
  readonly endSession: SessionEnd['endSession'];
  readonly metrics: Metrics;
  readonly settings: { readonly maxSessionMs: number; readonly maxRpcsPerSession: number };
  readonly now: () => number;
}

export type AcsRequests = ReturnType<typeof createAcsRequests>;

/** The ACS's half of a session: our requests, one at a time, until the registry has none. */
export function createAcsRequests(deps: AcsRequestsDeps) {
  const { registry, repo, endSession, settings: s, now } = deps;
  const { empty } = deps.replies;
  const rpcsSent = deps.metrics.counter('acs.cwmp.rpcs', { description: 'ACS requests sent, by method' });

  return {
    /** Asks the registry for the next ACS request, or ends the session with 204 when there is none. */
    async next(session: SessionRecord, log: Logger): Promise<CwmpHttpReply> {
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
        rpcsSent.add(1, { method: rpc.name });
        log.debug({ method: rpc.name, taskId: action.taskId, cwmpId }, 'ACS request sent');
        return { status: 200, headers: { 'Content-Type': XML_CONTENT_TYPE }, body };
      }
    },
  };
}
