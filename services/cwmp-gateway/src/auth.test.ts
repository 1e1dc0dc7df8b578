import { describe, expect, it } from '@jest/globals';
import { challengeHeaders, parseAuthorization, precheckDigest } from './auth.js';
import { createNonceService } from './nonce.js';

const nonces = createNonceService({ secret: 'unit-test-secret-0123', ttlMs: 60_000 });

function digestHeader(fields: Record<string, string>): string {
  return `Digest ${Object.entries(fields)
    .map(([k, v]) => (k === 'qop' || k === 'nc' || k === 'algorithm' ? `${k}=${v}` : `${k}="${v}"`))
    .join(', ')}`;
}

describe('parseAuthorization', () => {
  it('reads an RFC 2617 Digest header with unquoted qop/nc and a comma inside a quoted uri', () => {
    const auth = parseAuthorization(
      digestHeader({ username: 'cpe 1', realm: 'acs', nonce: 'n', uri: '/cwmp/?a,b', qop: 'auth', nc: '00000001', cnonce: 'c', response: 'r', algorithm: 'MD5' }),
    );
    expect(auth).toEqual({ scheme: 'digest', username: 'cpe 1', realm: 'acs', nonce: 'n', uri: '/cwmp/?a,b', qop: 'auth', nc: '00000001', cnonce: 'c', response: 'r', algorithm: 'MD5' });
  });

  it('reads Basic, keeping colons inside the password, and accepts lower-case scheme names', () => {
    const header = `basic ${Buffer.from('user:pa:ss').toString('base64')}`;
    expect(parseAuthorization(header)).toEqual({ scheme: 'basic', username: 'user', password: 'pa:ss' });
  });

  it('never throws: absent, unknown schemes, missing fields and unknown keys are values', () => {
    expect(parseAuthorization(undefined)).toEqual({ scheme: 'none' });
    expect(parseAuthorization('  ')).toEqual({ scheme: 'none' });
    expect(parseAuthorization('Bearer abc').scheme).toBe('malformed');
    expect(parseAuthorization('Digest username="a", realm="acs"').scheme).toBe('malformed');
    expect(parseAuthorization('Digest username="a", foo="b"').scheme).toBe('malformed');
    expect(parseAuthorization(`Basic ${Buffer.from(':nouser').toString('base64')}`).scheme).toBe('malformed');
    expect(parseAuthorization(digestHeader({ username: 'u'.repeat(300), realm: 'acs', nonce: 'n', uri: '/', response: 'r' })).scheme).toBe('malformed');
  });
});

describe('precheckDigest', () => {
  const base = { realm: 'acs', method: 'POST', requestTarget: '/cwmp/', nonces };
  const good = () =>
    ({ scheme: 'digest', username: 'u', realm: 'acs', nonce: nonces.issue('acs'), uri: '/cwmp/', response: 'r', qop: 'auth', nc: '00000001', cnonce: 'c' }) as const;

  it('passes a well-formed answer on and builds the proof the registry checks', () => {
    const r = precheckDigest(good(), base);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.proof).toMatchObject({ scheme: 'digest', method: 'POST', uri: '/cwmp/', qop: 'auth', nc: '00000001', cnonce: 'c' });
  });

  it('accepts an absolute URI naming the same target and the RFC 2069 form without qop', () => {
    expect(precheckDigest({ ...good(), uri: 'http://acs.example.net:7547/cwmp/' }, base).ok).toBe(true);
    const { qop: _q, nc: _n, cnonce: _c, ...rfc2069 } = good();
    expect(precheckDigest(rfc2069, base).ok).toBe(true);
  });

  it('refuses another realm, uri, algorithm, qop, or a nonce we did not sign', () => {
    expect(precheckDigest({ ...good(), realm: 'other' }, base)).toEqual({ ok: false, stale: false, reason: 'realm' });
    expect(precheckDigest({ ...good(), uri: '/elsewhere' }, base)).toEqual({ ok: false, stale: false, reason: 'uri' });
    expect(precheckDigest({ ...good(), algorithm: 'SHA-256' }, base)).toEqual({ ok: false, stale: false, reason: 'algorithm' });
    expect(precheckDigest({ ...good(), qop: 'auth-int' }, base)).toEqual({ ok: false, stale: false, reason: 'qop' });
    expect(precheckDigest({ ...good(), nonce: 'made.up.nonce' }, base)).toEqual({ ok: false, stale: false, reason: 'nonce' });
  });

  it('reports a stale nonce apart from a bad one', () => {
    let t = 1_000_000;
    const clocked = createNonceService({ secret: 'unit-test-secret-0123', ttlMs: 1_000, now: () => t });
    const nonce = clocked.issue('acs');
    t += 2_000;
    expect(precheckDigest({ ...good(), nonce }, { ...base, nonces: clocked })).toEqual({ ok: false, stale: true });
  });
});

describe('challengeHeaders', () => {
  it('offers Digest MD5 qop=auth, with stale=true when asked, and Basic first only where it is acceptable', () => {
    expect(challengeHeaders({ realm: 'acs', nonce: 'n1', stale: false, offerBasic: false })).toEqual([
      'Digest realm="acs", nonce="n1", algorithm="MD5", qop="auth"',
    ]);
    expect(challengeHeaders({ realm: 'acs', nonce: 'n1', stale: true, offerBasic: true })).toEqual([
      'Basic realm="acs"',
      'Digest realm="acs", nonce="n1", stale="true", algorithm="MD5", qop="auth"',
    ]);
  });
});
