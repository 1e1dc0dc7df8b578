import type { Bus, DurableMessage } from '@acs/bus';
import type { ConnreqAttempt, ConnreqCommandBase, ConnreqEvent, ConnreqTransport, Subjects } from '@acs/contracts';
import type { CounterFacade, HistogramFacade, Logger } from '@acs/telemetry';
import type { Clock } from './clock.js';
import type { TransportOutcome } from './perform.js';

const MAX_DETAIL = 2048;

function clip(detail: string | undefined): string | undefined {
  return detail === undefined ? undefined : detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
}

export interface SettleDeps {
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly transport: ConnreqTransport;
  readonly clock: Clock;
  /** `acs.pokes` by transport, outcome and `final` (false for a hand-over to the fallback). */
  readonly pokes: CounterFacade;
  /** `acs.poke.latency` of final events, by transport and outcome. */
  readonly latency: HistogramFacade;
}

/** How this transport's part of the poke ended. */
export interface Ending {
  readonly outcome: TransportOutcome;
  readonly detail: string | undefined;
  /** Time this worker spent on the command (the attempt's latency). */
  readonly transportMs: number;
}

export type Settle = (msg: DurableMessage, cmd: ConnreqCommandBase, ending: Ending, log: Logger, traceHeaders: Record<string, string>) => Promise<void>;

/**
 * Ends a command in the next transport's command of its fallback plan, or in the poke's one final event, and acks
 * it only after that publish was stored. Both publishes are durable with requestId-derived msgIds, so a command
 * redelivered after a crash can neither fork the poke nor end it twice.
 */
export function createSettle(deps: SettleDeps): Settle {
  const { bus, subjects, transport, clock, pokes, latency } = deps;
  return async (msg, cmd, { outcome, detail, transportMs }, log, traceHeaders) => {
    const latencyMs = Math.max(0, cmd.issuedAt === undefined ? transportMs : clock.now() - Date.parse(cmd.issuedAt));
    const next = cmd.fallback[0];
    const deadlinePassed = Date.parse(cmd.deadline) <= clock.now();
    // After the deadline the next transport could only time out too: the poke ends here.
    if (outcome !== 'accepted' && next !== undefined && !deadlinePassed) {
      const attempt: ConnreqAttempt = { transport, outcome, ...(detail === undefined ? {} : { detail: clip(detail) }), latencyMs: transportMs };
      const attempts = [...cmd.attempts, attempt];
      const nextCommand = {
        requestId: cmd.requestId,
        deviceId: cmd.deviceId,
        deadline: cmd.deadline,
        ...(cmd.issuedAt === undefined ? {} : { issuedAt: cmd.issuedAt }),
        ...next.command,
        fallback: cmd.fallback.slice(1),
        attempts,
      };
      // The hop's msgId is derived from the requestId, so a redelivered command cannot fork the poke.
      const published = await bus.publishDurable(subjects.cmd.connreq[next.transport], nextCommand, {
        msgId: `${cmd.requestId}:${attempts.length}`,
        headers: traceHeaders,
      });
      pokes.add(1, { transport, outcome, final: false });
      log.info({ outcome, detail, next: next.transport, duplicate: published.duplicate }, 'connection request failed; falling back');
    } else {
      const event: ConnreqEvent = {
        requestId: cmd.requestId,
        deviceId: cmd.deviceId,
        transport,
        outcome,
        ...(detail === undefined ? {} : { detail: clip(detail) }),
        latencyMs,
        ...(cmd.attempts.length === 0 ? {} : { attempts: cmd.attempts }),
      };
      // Durable with a requestId-derived msgId: a command redelivered after a crash cannot produce a second event.
      const published = await bus.publishDurable(subjects.evt.connreq(cmd.deviceId), event, {
        msgId: `${cmd.requestId}:final`,
        headers: traceHeaders,
      });
      if (published.duplicate) {
        log.info({ outcome }, 'final connreq event already published by an earlier delivery');
      } else {
        pokes.add(1, { transport, outcome, final: true });
        latency.record(latencyMs, { transport, outcome });
        if (outcome === 'accepted') log.debug({ latencyMs }, 'connection request accepted');
        else log.warn({ outcome, detail, latencyMs }, 'connection request failed');
      }
    }
    await msg.ack();
  };
}
