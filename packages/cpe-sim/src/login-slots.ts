import { XmppError } from './errors.js';

/**
 * At most `max` XMPP logins in flight at once, the others wait in FIFO order. A fleet shares one, so
 * 1,000 CPEs provisioned together do not open 1,000 TLS handshakes in the same tick.
 */
export interface LoginSlots {
  readonly max: number;
  /** Resolves with a release function once a slot is free; rejects (ABORTED) when `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export function createLoginSlots(max: number): LoginSlots {
  if (!(max >= 1)) throw new RangeError('login slots need max >= 1');
  let held = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else held--;
  };
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    max,
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(new XmppError('ABORTED', 'aborted while waiting for a login slot'));
      if (held < max) {
        held++;
        return Promise.resolve(once());
      }
      return new Promise((resolve, reject) => {
        // The slot passes straight from the releaser to this waiter: `held` stays as it is.
        const grant = () => {
          signal?.removeEventListener('abort', abort);
          resolve(once());
        };
        const abort = () => {
          waiting.splice(waiting.indexOf(grant), 1);
          reject(new XmppError('ABORTED', 'aborted while waiting for a login slot'));
        };
        waiting.push(grant);
        signal?.addEventListener('abort', abort, { once: true });
      });
    },
  };
}
