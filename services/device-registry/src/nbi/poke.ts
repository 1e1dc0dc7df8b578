import { randomUUID } from 'node:crypto';
import { StreamNotFoundError } from '@acs/bus';
import type { Subscription } from '@acs/bus';
import { decodePayload, parseConnreqEvent } from '@acs/contracts';
import type { ConnreqEvent } from '@acs/contracts';
import type { NbiContext } from './context.js';
import { NbiUnavailableError } from './errors.js';

export interface PokeOutcome {
  requestId: string;
  deviceId: string;
  outcome: ConnreqEvent['outcome'] | null;
  transport: ConnreqEvent['transport'] | null;
  latencyMs: number | null;
  detail?: string;
}

/** Fails early, before anything is stored, when a poke could not be sent. */
export function requireBus(ctx: NbiContext): asserts ctx is NbiContext & Required<Pick<NbiContext, 'bus' | 'subjects'>> {
  if (!ctx.bus || !ctx.subjects) throw new NbiUnavailableError('connection requests need the message bus, which this NBI was started without');
}

/**
 * Publishes `acs.cmd.poke` (durable, de-duplicated by requestId) and, when `waitMs` > 0, waits for
 * the `acs.evt.connreq.<id>` event carrying the same requestId. The outcome is null when it did not
 * come in time (the poke still goes on).
 */
export async function poke(ctx: NbiContext, deviceId: string, waitMs: number, signal?: AbortSignal): Promise<PokeOutcome> {
  requireBus(ctx);
  const { bus, subjects } = ctx;
  const requestId = randomUUID();
  let subscription: Subscription | undefined;
  let settle: (e: ConnreqEvent | null) => void = () => undefined;
  const outcome = new Promise<ConnreqEvent | null>((resolve) => (settle = resolve));
  if (waitMs > 0) {
    // Subscribed before publishing, so a fast worker's answer cannot be missed.
    subscription = bus.subscribe(subjects.evt.connreq(deviceId), (msg) => {
      const parsed = decodePayload(msg.data, parseConnreqEvent);
      if (parsed.ok && parsed.value.requestId === requestId) settle(parsed.value);
    });
    await bus.flush();
  }
  try {
    try {
      await bus.publishDurable(subjects.cmd.poke, { deviceId, requestId }, { msgId: requestId });
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new NbiUnavailableError('the command stream does not exist yet', { cause: err });
      throw err;
    }
    const base: PokeOutcome = { requestId, deviceId, outcome: null, transport: null, latencyMs: null };
    if (waitMs <= 0) return base;
    const timer = setTimeout(() => settle(null), waitMs);
    const onAbort = () => settle(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    const event = await outcome;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (event === null) return base;
    return { ...base, outcome: event.outcome, transport: event.transport, latencyMs: event.latencyMs, ...(event.detail !== undefined ? { detail: event.detail } : {}) };
  } finally {
    await subscription?.unsubscribe();
  }
}
