import { BusTimeoutError, NoRespondersError, type Bus } from '@acs/bus';
import { decodePayload, parseErrorReply, parseStunDeviceReply, type StunDeviceReply, type Subjects } from '@acs/contracts';

/** What the STUN server knows of a username: the device and its terms, or that nobody provisioned it. */
export type StunDevice = StunDeviceReply | null;

export interface DeviceLookup {
  /** Cached; concurrent lookups of one username share one request. Rejects only when the registry cannot answer. */
  get(username: string): Promise<StunDevice>;
  /** The cached answer, if fresh: the hot path of a keep-alive needs no promise. */
  peek(username: string): StunDevice | undefined;
}

export interface DeviceLookupOptions {
  readonly bus: Pick<Bus, 'request'>;
  readonly subjects: Subjects;
  /** How long a known device's terms are trusted (a type's policy change reaches the STUN server this late). */
  readonly ttlMs: number;
  /** How long "nobody" is remembered: bounds the registry load from unknown senders and a new device's wait. */
  readonly negativeTtlMs: number;
  readonly timeoutMs: number;
  /** Entries kept; the oldest go first. */
  readonly maxEntries: number;
  /**
   * Lookups in flight at once. Beyond it `get` fails at once (`DeviceLookupBusyError`): after a restart a million
   * CPEs' keep-alives must not become a million concurrent registry requests; they are answered, and recorded on a
   * later keep-alive. A failed lookup is not asked again for `negativeTtlMs` either.
   */
  readonly maxInFlight?: number;
  readonly now?: () => number;
}

export class DeviceLookupError extends Error {
  readonly code: string = 'STUN_LOOKUP_FAILED';
}

export class DeviceLookupBusyError extends DeviceLookupError {
  override readonly code = 'STUN_LOOKUP_BUSY';
}

/** `registry.stun.device` behind a bounded in-process cache (a CPE sends a keep-alive every few tens of seconds). */
export function createDeviceLookup(options: DeviceLookupOptions): DeviceLookup {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: StunDevice; until: number }>();
  const pending = new Map<string, Promise<StunDevice>>();
  const failed = new Map<string, { error: DeviceLookupError; until: number }>();
  const maxInFlight = options.maxInFlight ?? 256;

  function remember(username: string, value: StunDevice): void {
    cache.delete(username);
    cache.set(username, { value, until: now() + (value === null ? options.negativeTtlMs : options.ttlMs) });
    if (cache.size > options.maxEntries) cache.delete(cache.keys().next().value!);
  }

  async function ask(username: string): Promise<StunDevice> {
    let reply;
    try {
      reply = await options.bus.request(options.subjects.registry.stunDevice, { username }, { timeoutMs: options.timeoutMs });
    } catch (err) {
      if (err instanceof NoRespondersError || err instanceof BusTimeoutError) throw new DeviceLookupError(`registry did not answer: ${err.message}`, { cause: err });
      throw err;
    }
    const device = decodePayload(reply.data, parseStunDeviceReply);
    if (device.ok) return device.value;
    const error = decodePayload(reply.data, parseErrorReply);
    if (error.ok && error.value.error.code === 'NOT_FOUND') return null;
    throw new DeviceLookupError(error.ok ? `${error.value.error.code}: ${error.value.error.message}` : `unexpected reply: ${device.error.message}`);
  }

  const peek = (username: string): StunDevice | undefined => {
    const hit = cache.get(username);
    return hit !== undefined && hit.until > now() ? hit.value : undefined;
  };

  return {
    peek,
    get(username) {
      const hit = peek(username);
      if (hit !== undefined) return Promise.resolve(hit);
      const inFlight = pending.get(username);
      if (inFlight) return inFlight;
      const recent = failed.get(username);
      if (recent !== undefined && recent.until > now()) return Promise.reject(recent.error);
      if (pending.size >= maxInFlight) return Promise.reject(new DeviceLookupBusyError(`${pending.size} registry lookups in flight`));
      const request = ask(username)
        .then(
          (value) => {
            failed.delete(username);
            remember(username, value);
            return value;
          },
          (err: unknown) => {
            const error = err instanceof DeviceLookupError ? err : new DeviceLookupError(String(err), { cause: err });
            failed.set(username, { error, until: now() + Math.max(1_000, options.negativeTtlMs) });
            if (failed.size > options.maxEntries) failed.delete(failed.keys().next().value!);
            throw error;
          },
        )
        .finally(() => pending.delete(username));
      pending.set(username, request);
      return request;
    },
  };
}
