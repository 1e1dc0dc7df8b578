import { parseSessionEndedEvent, type RegistryClient, type SessionOutcome, type Subjects } from '@acs/contracts';
import type { DeviceLock } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import type { SessionRecord, SessionRepository } from './session.js';
import type { SessionEvents } from './session-events.js';

export interface SessionEndDeps {
  readonly registry: RegistryClient;
  readonly locks: DeviceLock;
  readonly repo: SessionRepository;
  readonly events: SessionEvents;
  readonly subjects: Subjects;
  readonly metrics: Metrics;
  readonly now: () => number;
}

export type SessionEnd = ReturnType<typeof createSessionEnd>;

const iso = (ms: number) => new Date(ms).toISOString();

/** When a session is over, and what closing it takes. */
export function createSessionEnd(deps: SessionEndDeps) {
  const { registry, locks, repo, events, subjects, now } = deps;
  const sessionsEnded = deps.metrics.counter('acs.cwmp.sessions.ended', { description: 'by outcome' });
  const duration = deps.metrics.histogram('acs.cwmp.session.duration', { unit: 'ms', description: 'session length, by outcome' });

  return {
    expired: (session: SessionRecord): boolean => now() - session.lastSeenAt > session.timeoutMs,

    /** Ends a session: reports an unanswered RPC as timed out, releases the lock, drops the record, tells the bus. */
    async endSession(session: SessionRecord, outcome: SessionOutcome, log: Logger): Promise<void> {
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
      sessionsEnded.add(1, { outcome });
      duration.record(Math.max(0, endedAt - session.startedAt), { outcome });
      events.publishChecked(
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
    },
  };
}
