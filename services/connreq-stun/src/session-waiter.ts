import type { Bus, Subscription } from '@acs/bus';
import { decodePayload, parseSessionStartedEvent, type Subjects } from '@acs/contracts';

/** TR-069 EventCode of a session the CPE opened because it was asked to. */
const CONNECTION_REQUEST_EVENT = '6 CONNECTION REQUEST';

export interface SessionWaiter {
  /**
   * Resolves `true` when the device starts a session with `6 CONNECTION REQUEST` at or after `since` (epoch ms),
   * `false` when `signal` aborts first (the deadline). A UDP connection request has no answer: this is its outcome.
   */
  waitFor(deviceId: string, since: number, signal: AbortSignal): Promise<boolean>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One subscription to every `session.started` event, fanned out to the waiting connection requests by device. */
export function createSessionWaiter(bus: Pick<Bus, 'subscribe' | 'flush'>, subjects: Subjects, clockSkewMs = 1_000): SessionWaiter {
  const waiters = new Map<string, Set<{ since: number; resolve: (started: boolean) => void }>>();
  let subscription: Subscription | undefined;

  return {
    async start() {
      subscription = bus.subscribe(subjects.evt.allSessions, (msg) => {
        if (!msg.subject.endsWith('.started')) return;
        const event = decodePayload(msg.data, parseSessionStartedEvent);
        if (!event.ok) return;
        const set = waiters.get(event.value.deviceId);
        if (set === undefined || !event.value.eventCodes.some((code) => code.trim() === CONNECTION_REQUEST_EVENT)) return;
        const startedAt = Date.parse(event.value.startedAt);
        for (const waiter of set) if (startedAt + clockSkewMs >= waiter.since) waiter.resolve(true);
      });
      await bus.flush();
    },
    async stop() {
      await subscription?.unsubscribe();
      for (const set of waiters.values()) for (const waiter of set) waiter.resolve(false);
    },
    waitFor(deviceId, since, signal) {
      if (signal.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        const set = waiters.get(deviceId) ?? new Set();
        waiters.set(deviceId, set);
        const waiter = {
          since,
          resolve: (started: boolean) => {
            set.delete(waiter);
            if (set.size === 0 && waiters.get(deviceId) === set) waiters.delete(deviceId);
            signal.removeEventListener('abort', onAbort);
            resolve(started);
          },
        };
        const onAbort = () => waiter.resolve(false);
        set.add(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
