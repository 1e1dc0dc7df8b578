/**
 * Per-device minimum interval between connection requests (CPEs rate-limit them and answer 503 when hammered).
 * `reserve` hands out start instants in call order: the first command for a device starts now, the next one no
 * earlier than `intervalMs` after it, and so on. State is per worker replica.
 */
export interface DevicePacer {
  /**
   * Reserves the instant (ms) at which a request to `deviceId` may start, or returns `null` (reserving nothing)
   * when that instant would be later than `latest`.
   */
  reserve(deviceId: string, now: number, latest: number): number | null;
  readonly size: number;
}

// Past this many tracked devices, expired entries are swept on the next reservation.
const SWEEP_AT = 10_000;

export function createDevicePacer(intervalMs: number): DevicePacer {
  /** deviceId -> the start instant of the latest reservation. */
  const last = new Map<string, number>();
  return {
    reserve(deviceId, now, latest) {
      if (last.size >= SWEEP_AT) {
        for (const [id, at] of last) if (at + intervalMs <= now) last.delete(id);
      }
      const previous = last.get(deviceId);
      const slot = previous === undefined ? now : Math.max(now, previous + intervalMs);
      if (slot > latest) return null;
      last.set(deviceId, slot);
      return slot;
    },
    get size() {
      return last.size;
    },
  };
}
