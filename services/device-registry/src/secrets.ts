import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

/** A stored hash or sealed secret is not in a format this module wrote. */
export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
  readonly code = 'SECRET_FORMAT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The secret-box key from config is missing or not 32 bytes of base64. */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
  readonly code = 'SECRET_KEY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A sealed secret failed authentication: wrong key, or the ciphertext was altered. */
export class SecretDecryptError extends Error {
  override readonly name = 'SecretDecryptError';
  readonly code = 'SECRET_DECRYPT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Digest HA1 = MD5(username:realm:password), lower-case hex (RFC 2617 §3.2.2.2). Storing HA1
 * lets the gateway check Digest responses without keeping the password.
 */
export function hashForDigest(username: string, realm: string, password: string): string {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}

// scrypt cost: N=2^14, r=8, p=1 (~50 ms, 16 MiB) — the OWASP floor; the parameters travel in the
// hash so they can be raised later without invalidating stored hashes.
const SCRYPT_N = 16_384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_KEY_BYTES = 32;
const SCRYPT_SALT_BYTES = 16;

function scryptAsync(password: string, salt: Buffer, keylen: number, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A salted scrypt hash for Basic auth, as `scrypt$N$r$p$salt$hash` (base64url fields). */
export async function hashForBasic(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = await scryptAsync(password, salt, SCRYPT_KEY_BYTES, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  return ['scrypt', SCRYPT_N, SCRYPT_R, SCRYPT_P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * A salted SHA-256 for Basic auth of a secret we generated (`generateSecret`, >= 128 bits), as
 * `sha256$salt$hash`. Stretching only slows guessing a low-entropy password; a random 128-bit secret
 * cannot be guessed either way, and scrypt's ~50 ms per hash was most of a device's first session.
 */
export function hashForGeneratedSecret(secret: string): string {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  return ['sha256', salt.toString('base64url'), createHash('sha256').update(salt).update(secret, 'utf8').digest('base64url')].join('$');
}

/**
 * Checks a Basic password against a `hashForBasic` (or `hashForGeneratedSecret`) result in constant time.
 * Resolves false on mismatch; rejects with SecretFormatError when `stored` is not such a hash.
 */
export async function verifyBasic(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts[0] === 'sha256') {
    const [, saltText, hashText] = parts;
    if (parts.length !== 3 || !saltText || !hashText) throw new SecretFormatError('not a sha256 hash');
    const expected = Buffer.from(hashText, 'base64url');
    const actual = createHash('sha256').update(Buffer.from(saltText, 'base64url')).update(password, 'utf8').digest();
    return expected.length === actual.length && timingSafeEqual(actual, expected);
  }
  const [scheme, nText, rText, pText, saltText, keyText] = parts;
  if (parts.length !== 6 || scheme !== 'scrypt' || !saltText || !keyText) throw new SecretFormatError('not a scrypt hash');
  const [n, r, p] = [Number(nText), Number(rText), Number(pText)];
  // Bounds keep a tampered row from making us allocate gigabytes.
  const valid = (x: number, max: number) => Number.isInteger(x) && x > 0 && x <= max;
  if (!valid(n, 1 << 20) || (n & (n - 1)) !== 0 || !valid(r, 32) || !valid(p, 16)) throw new SecretFormatError('scrypt parameters out of range');
  const expected = Buffer.from(keyText, 'base64url');
  if (expected.length < 16) throw new SecretFormatError('scrypt hash too short');
  const actual = await scryptAsync(password, Buffer.from(saltText, 'base64url'), expected.length, n, r, p);
  return timingSafeEqual(actual, expected);
}

/** Symmetric encryption for secrets the ACS must present later (connection-request passwords). */
export interface SecretBox {
  /** Seals `plain` as `v1.<iv>.<tag>.<ciphertext>` (base64url), with a fresh random IV each call. */
  encrypt(plain: string): string;
  /** Opens a sealed string; throws SecretFormatError (malformed) or SecretDecryptError (wrong key, tampered). */
  decrypt(sealed: string): string;
}

const BOX_VERSION = 'v1';
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

/** AES-256-GCM secret box; `keyBase64` must decode to exactly 32 bytes (throws SecretKeyError otherwise). */
export function createSecretBox(keyBase64: string): SecretBox {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new SecretKeyError(`secret-box key must be 32 bytes of base64, got ${key.length} bytes`);
  return {
    encrypt(plain) {
      const iv = randomBytes(GCM_IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [BOX_VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(sealed) {
      const parts = sealed.split('.');
      const [version, ivText, tagText, bodyText] = parts;
      if (parts.length !== 4 || version === undefined || ivText === undefined || tagText === undefined || bodyText === undefined) {
        throw new SecretFormatError('sealed secret must have four dot-separated fields');
      }
      if (version !== BOX_VERSION) throw new SecretFormatError(`unknown sealed-secret version ${JSON.stringify(version.slice(0, 8))}`);
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) throw new SecretFormatError('sealed secret has a bad IV or tag length');
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(Buffer.from(bodyText, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new SecretDecryptError('sealed secret could not be opened (wrong key or altered data)', { cause });
      }
    },
  };
}

const SECRET_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * A random secret of `length` characters from an alphabet without look-alikes (no 0/O, 1/l/I),
 * safe in URLs, XML and CPE web UIs. randomInt avoids modulo bias.
 */
export function generateSecret(length = 24): string {
  if (!Number.isInteger(length) || length < 1 || length > 1024) throw new RangeError('secret length must be an integer in 1..1024');
  let out = '';
  for (let i = 0; i < length; i++) out += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return out;
}
