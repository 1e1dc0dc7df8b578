import type { Bus } from '@acs/bus';
import { injectTraceContext, type Logger } from '@acs/telemetry';

export interface SessionEventsDeps {
  readonly bus: Bus;
  readonly logger: Logger;
}

export type SessionEvents = ReturnType<typeof createSessionEvents>;

/** The session's events on the bus: each checked against its contract, none allowed to fail the session. */
export function createSessionEvents(deps: SessionEventsDeps) {
  const { bus, logger } = deps;

  function publish(subject: string, payload: object): void {
    try {
      bus.publish(subject, payload, { headers: injectTraceContext() });
    } catch (error) {
      // Events are best effort: a bus hiccup must not fail a CPE session that the registry already recorded.
      logger.warn({ err: error, subject }, 'event not published');
    }
  }

  return {
    publishChecked<T>(subject: string, payload: T, check: (v: unknown) => { ok: boolean; error?: Error }): void {
      const r = check(payload);
      if (!r.ok) {
        logger.warn({ subject, err: r.error }, 'event payload breaks its contract; not published');
        return;
      }
      publish(subject, payload as object);
    },
  };
}
