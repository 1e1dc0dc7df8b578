import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type NonceCheck = 'valid' | 'stale' | 'invalid';

export interface NonceOptions {
  /** HMAC key shared by every replica. */
  readonly secret: string;
  readonly ttlMs: number;
  readonly now?: () => number;
}

/**
 * Stateless Digest nonces: `<issued-at base36>.<random>.<HMAC-SHA256 of both>`. Any replica holding the
 * secret can check a nonce another one issued, so a 401 challenge and the retried request may reach
 * different replicas over different connections; nothing is stored.
 */
export interface NonceService {
  issue(realm: string): string;
  /** `stale`: ours but older than the TTL (answer `stale=true`); `invalid`: forged, mangled or from another realm. */
  check(nonce: string, realm: string): NonceCheck;
}

const NONCE_RE = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export function createNonceService(options: NonceOptions): NonceService {
  const now = options.now ?? Date.now;
  const sign = (issued: string, rand: string, realm: string): Buffer =>
    createHmac('sha256', options.secret).update(`${issued}.${rand}.${realm}`).digest();
  return {
    issue(realm) {
      const issued = now().toString(36);
      const rand = randomBytes(12).toString('base64url');
      return `${issued}.${rand}.${sign(issued, rand, realm).toString('base64url')}`;
    },
    check(nonce, realm) {
      const m = NONCE_RE.exec(nonce);
      if (!m) return 'invalid';
      const [, issued = '', rand = '', mac = ''] = m;
      const given = Buffer.from(mac, 'base64url');
      const expected = sign(issued, rand, realm);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      const age = now() - Number.parseInt(issued, 36);
      // A nonce from the future was not issued by a replica with a sane clock: refuse it.
      if (age < -60_000) return 'invalid';
      return age > options.ttlMs ? 'stale' : 'valid';
    },
  };
}
