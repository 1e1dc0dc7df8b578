/**
 * Per-device minimum interval between connection requests (CPEs rate-limit them and answer 503 when hammered).
 * Activity is marked when a request starts and again when it ends, so the next request to the same device starts
 * at least `intervalMs` after the previous one ended. State is per worker replica.
 */
export interface DevicePacer {
  /** Earliest instant (ms) a new request to `deviceId` may start. */
  nextAllowed(deviceId: string): number;
  /** Records request activity on `deviceId` at `at`. */
  mark(deviceId: string, at: number): void;
  readonly size: number;
}

// Past this many tracked devices, entries whose interval has run out are swept.
const SWEEP_AT = 10_000;

export function createDevicePacer(intervalMs: number): DevicePacer {
  /** deviceId -> latest activity. */
  const last = new Map<string, number>();
  let lastSweep = -Infinity;
  return {
    nextAllowed(deviceId) {
      const at = last.get(deviceId);
      return at === undefined ? -Infinity : at + intervalMs;
    },
    mark(deviceId, at) {
      // At most one sweep per interval: with many devices all active, sweeping on every mark would be quadratic.
      if (last.size >= SWEEP_AT && at - lastSweep >= intervalMs) {
        lastSweep = at;
        for (const [id, t] of last) if (t + intervalMs <= at) last.delete(id);
      }
      last.set(deviceId, Math.max(at, last.get(deviceId) ?? -Infinity));
    },
    get size() {
      return last.size;
    },
  };
}
