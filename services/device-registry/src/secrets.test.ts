import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { SecretDecryptError, SecretFormatError, SecretKeyError, createSecretBox, generateSecret, hashForBasic, hashForDigest, hashForGeneratedSecret, verifyBasic } from './secrets.js';

describe('hashForDigest', () => {
  it('is MD5(username:realm:password) in lower-case hex', () => {
    // RFC 2617 §3.5 example: Mufasa / testrealm@host.com / "Circle Of Life".
    expect(hashForDigest('Mufasa', 'testrealm@host.com', 'Circle Of Life')).toBe('939e7578ed9e3c518a452acee763bce9');
  });

  it('depends on every component', () => {
    const base = hashForDigest('u', 'r', 'p');
    expect(hashForDigest('u2', 'r', 'p')).not.toBe(base);
    expect(hashForDigest('u', 'r2', 'p')).not.toBe(base);
    expect(hashForDigest('u', 'r', 'p2')).not.toBe(base);
    expect(base).toBe(createHash('md5').update('u:r:p').digest('hex'));
  });
});

describe('hashForGeneratedSecret / verifyBasic', () => {
  it('verifies the secret, refuses others, salts each hash, and never stores the secret', async () => {
    const secret = generateSecret(24);
    const [a, b] = [hashForGeneratedSecret(secret), hashForGeneratedSecret(secret)];
    expect(a).toMatch(/^sha256\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(await verifyBasic(secret, a)).toBe(true);
    expect(await verifyBasic(secret, b)).toBe(true);
    expect(await verifyBasic(`${secret}x`, a)).toBe(false);
    await expect(verifyBasic(secret, 'sha256$only-salt')).rejects.toBeInstanceOf(SecretFormatError);
  });
});

describe('hashForBasic / verifyBasic', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashForBasic('s3cret-Pässword');
    expect(stored).not.toContain('s3cret');
    expect(await verifyBasic('s3cret-Pässword', stored)).toBe(true);
    expect(await verifyBasic('s3cret-Password', stored)).toBe(false);
    expect(await verifyBasic('', stored)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashForBasic('same'), hashForBasic('same')]);
    expect(a).not.toBe(b);
    expect(await verifyBasic('same', a)).toBe(true);
    expect(await verifyBasic('same', b)).toBe(true);
  });

  it('rejects hashes it did not write with a typed error', async () => {
    await expect(verifyBasic('x', 'plaintext')).rejects.toBeInstanceOf(SecretFormatError);
    await expect(verifyBasic('x', 'scrypt$3$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA')).rejects.toMatchObject({ code: 'SECRET_FORMAT' });
    await expect(verifyBasic('x', 'scrypt$16384$8$1$c2FsdA$c2hvcnQ')).rejects.toBeInstanceOf(SecretFormatError);
  });
});

describe('createSecretBox', () => {
  const key = randomBytes(32).toString('base64');

  it('round-trips and uses a fresh IV per call', () => {
    const box = createSecretBox(key);
    const a = box.encrypt('connreq-pässword');
    const b = box.encrypt('connreq-pässword');
    expect(a).not.toBe(b);
    expect(a.startsWith('v1.')).toBe(true);
    expect(a).not.toContain('connreq');
    expect(box.decrypt(a)).toBe('connreq-pässword');
    expect(box.decrypt(b)).toBe('connreq-pässword');
    expect(box.decrypt(box.encrypt(''))).toBe('');
  });

  it('fails with SecretDecryptError under the wrong key', () => {
    const sealed = createSecretBox(key).encrypt('hello');
    const other = createSecretBox(randomBytes(32).toString('base64'));
    expect(() => other.decrypt(sealed)).toThrow(SecretDecryptError);
  });

  it('detects tampering', () => {
    const box = createSecretBox(key);
    const [v, iv, tag, body] = box.encrypt('hello world').split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow(SecretDecryptError);
  });

  it('rejects malformed or unknown-version input with SecretFormatError', () => {
    const box = createSecretBox(key);
    const sealed = box.encrypt('x');
    expect(() => box.decrypt('garbage')).toThrow(SecretFormatError);
    expect(() => box.decrypt(sealed.replace(/^v1\./, 'v9.'))).toThrow(SecretFormatError);
    expect(() => box.decrypt('v1.AAAA.BBBB.CCCC')).toThrow(SecretFormatError);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(16).toString('base64'))).toThrow(SecretKeyError);
    expect(() => createSecretBox('')).toThrow(SecretKeyError);
  });
});

describe('generateSecret', () => {
  it('returns the requested length from a look-alike-free alphabet, different each time', () => {
    const a = generateSecret(32);
    expect(a).toHaveLength(32);
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
    expect(generateSecret(32)).not.toBe(a);
    expect(generateSecret()).toHaveLength(24);
  });

  it('rejects nonsense lengths', () => {
    expect(() => generateSecret(0)).toThrow(RangeError);
    expect(() => generateSecret(1.5)).toThrow(RangeError);
  });
});
