/**
 * One accepted connection request per window, whichever transport it came by: an ACS poking a
 * CPE over HTTP and XMPP at once gets one session, and the other poke is told the CPE is busy.
 */
export interface RateLimit {
  /** True (and the window restarts) when the previous accepted request is at least the window old. */
  tryAccept(): boolean;
}

export const DEFAULT_RATE_LIMIT_MS = 1_000;

export function createRateLimit(windowMs = DEFAULT_RATE_LIMIT_MS): RateLimit {
  let lastAccepted = -Infinity;
  return {
    tryAccept() {
      const now = Date.now();
      if (now - lastAccepted < windowMs) return false;
      lastAccepted = now;
      return true;
    },
  };
}
