import { describe, expect, it } from '@jest/globals';
import { createNonceService } from './nonce.js';

describe('stateless nonces', () => {
  const secret = 'a-shared-secret-of-some-length';

  it('is checked by another instance holding the same secret (another replica)', () => {
    const a = createNonceService({ secret, ttlMs: 60_000 });
    const b = createNonceService({ secret, ttlMs: 60_000 });
    const nonce = a.issue('acs');
    expect(nonce).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(b.check(nonce, 'acs')).toBe('valid');
    expect(a.issue('acs')).not.toBe(nonce);
  });

  it('is stale after its TTL, and not before', () => {
    let t = 1_700_000_000_000;
    const nonces = createNonceService({ secret, ttlMs: 60_000, now: () => t });
    const nonce = nonces.issue('acs');
    t += 60_000;
    expect(nonces.check(nonce, 'acs')).toBe('valid');
    t += 1;
    expect(nonces.check(nonce, 'acs')).toBe('stale');
  });

  it('rejects another secret, another realm, a tampered timestamp and garbage', () => {
    const nonces = createNonceService({ secret, ttlMs: 60_000 });
    const nonce = nonces.issue('acs');
    expect(createNonceService({ secret: 'another-secret-entirely', ttlMs: 60_000 }).check(nonce, 'acs')).toBe('invalid');
    expect(nonces.check(nonce, 'other')).toBe('invalid');
    const [issued, rand, mac] = nonce.split('.') as [string, string, string];
    // Moving the timestamp forward would revive an old nonce: the MAC covers it.
    const forged = `${(Number.parseInt(issued, 36) + 1).toString(36)}.${rand}.${mac}`;
    expect(nonces.check(forged, 'acs')).toBe('invalid');
    // The MAC's first character is tampered: its last one carries padding bits that a decoder ignores, so
    // changing it only sometimes changes the MAC (this test failed ~1 run in 16).
    const tampered = `${issued}.${rand}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    for (const junk of ['', 'abc', `${nonce}x`, 'a.b.c', tampered]) {
      expect(nonces.check(junk, 'acs')).toBe('invalid');
    }
  });

  it('rejects a nonce issued in the future by a clock far ahead', () => {
    let t = 1_700_000_000_000;
    const nonces = createNonceService({ secret, ttlMs: 60_000, now: () => t });
    const nonce = nonces.issue('acs');
    t -= 120_000;
    expect(nonces.check(nonce, 'acs')).toBe('invalid');
  });
});
