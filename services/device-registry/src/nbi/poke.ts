import { randomUUID } from 'node:crypto';
import { StreamNotFoundError } from '@acs/bus';
import type { Subscription } from '@acs/bus';
import { decodePayload, parseConnreqEvent, parseSessionStartedEvent } from '@acs/contracts';
import type { ConnreqEvent } from '@acs/contracts';
import type { NbiContext } from './context.js';
import { NbiUnavailableError } from './errors.js';

export interface PokeSession {
  sessionId: string;
  startedAt: string;
  /** From the poke to the session.started event naming it. */
  latencyMs: number;
}

export interface PokeOutcome {
  requestId: string;
  deviceId: string;
  outcome: ConnreqEvent['outcome'] | null;
  transport: ConnreqEvent['transport'] | null;
  latencyMs: number | null;
  detail?: string;
  /** The CPE's session answering the poke (`6 CONNECTION REQUEST`, session.started naming the requestId). */
  session: PokeSession | null;
  /** True when the wait ended before everything that can still come had come (the poke goes on regardless). */
  timedOut: boolean;
}

/** Fails early, before anything is stored, when a poke could not be sent. */
export function requireBus(ctx: Pick<NbiContext, 'bus' | 'subjects'>): asserts ctx is Required<Pick<NbiContext, 'bus' | 'subjects'>> {
  if (!ctx.bus || !ctx.subjects) throw new NbiUnavailableError('connection requests need the message bus, which this NBI was started without');
}

/**
 * Publishes `acs.cmd.poke` (durable, de-duplicated by requestId) and, when `waitMs` > 0, waits for the
 * `acs.evt.connreq.<id>` event carrying the same requestId and, when that says `accepted`, for the
 * `session.started` event naming it. What did not come within `waitMs` is null and `timedOut` is set.
 */
export async function poke(ctx: Pick<NbiContext, 'bus' | 'subjects'>, deviceId: string, waitMs: number, signal?: AbortSignal): Promise<PokeOutcome> {
  requireBus(ctx);
  const { bus, subjects } = ctx;
  const requestId = randomUUID();
  const subscriptions: Subscription[] = [];
  let event: ConnreqEvent | null = null;
  let session: PokeSession | null = null;
  let wake: () => void = () => undefined;
  // Done when the outcome is known and, for an accepted poke, its session has started too.
  const settled = () => event !== null && (event.outcome !== 'accepted' || session !== null);
  const progressed = () => {
    if (settled()) wake();
  };
  const t0 = Date.now();
  if (waitMs > 0) {
    // Subscribed before publishing, so a fast worker's answer cannot be missed.
    subscriptions.push(
      bus.subscribe(subjects.evt.connreq(deviceId), (msg) => {
        const parsed = decodePayload(msg.data, parseConnreqEvent);
        if (parsed.ok && parsed.value.requestId === requestId && event === null) {
          event = parsed.value;
          progressed();
        }
      }),
      bus.subscribe(subjects.evt.sessionStarted(deviceId), (msg) => {
        const parsed = decodePayload(msg.data, parseSessionStartedEvent);
        if (parsed.ok && parsed.value.requestId === requestId && session === null) {
          session = { sessionId: parsed.value.sessionId, startedAt: parsed.value.startedAt, latencyMs: Date.now() - t0 };
          progressed();
        }
      }),
    );
    await bus.flush();
  }
  try {
    try {
      await bus.publishDurable(subjects.cmd.poke, { deviceId, requestId }, { msgId: requestId });
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new NbiUnavailableError('the command stream does not exist yet', { cause: err });
      throw err;
    }
    if (waitMs > 0 && !settled()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    const e = event as ConnreqEvent | null;
    return {
      requestId,
      deviceId,
      outcome: e?.outcome ?? null,
      transport: e?.transport ?? null,
      latencyMs: e?.latencyMs ?? null,
      ...(e?.detail !== undefined ? { detail: e.detail } : {}),
      session,
      timedOut: waitMs > 0 && !settled(),
    };
  } finally {
    await Promise.all(subscriptions.map((s) => s.unsubscribe()));
  }
}
