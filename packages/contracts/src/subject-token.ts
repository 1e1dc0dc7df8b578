import { SubjectTokenError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// `_` is the escape character: `_XX` is one UTF-8 byte in upper-case hex. A token of just `_` is the empty string
// (NATS tokens cannot be empty, and `_` alone never comes out of the byte escape).
const SAFE = /^[A-Za-z0-9-]$/;
const EMPTY_TOKEN = '_';

/**
 * Encodes any well-formed string (a device id) into ONE NATS subject token of `[A-Za-z0-9_-]` only, reversibly.
 * Canonical device ids such as `00259E-HG8245H-4857544300000001` come out unchanged; `%`, `.`, `*`, `>`, spaces and
 * non-ASCII become `_XX` per UTF-8 byte. Throws `SubjectTokenError` on a string with lone surrogates (not Unicode).
 */
export function encodeSubjectToken(value: string): string {
  if (value === '') return EMPTY_TOKEN;
  // A lone surrogate matches \p{Cs} in unicode mode; a proper pair is one code point and does not.
  if (/\p{Cs}/u.test(value)) throw new SubjectTokenError('string has lone surrogates and cannot be encoded', value);
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) {
      out += ch;
    } else {
      for (const b of encoder.encode(ch)) out += `_${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** Inverse of `encodeSubjectToken`; throws `SubjectTokenError` on a token it could not have produced. */
export function decodeSubjectToken(token: string): string {
  if (token === EMPTY_TOKEN) return '';
  if (!/^(?:[A-Za-z0-9-]|_[0-9A-F]{2})+$/.test(token)) {
    throw new SubjectTokenError(`not an encoded subject token: ${JSON.stringify(token)}`, token);
  }
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    if (token[i] === '_') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(token.charCodeAt(i));
      i += 1;
    }
  }
  let decoded: string;
  try {
    decoded = decoder.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new SubjectTokenError('escaped bytes are not UTF-8', token, { cause });
  }
  // Canonical form only: a safe char written as `_XX` would give two tokens for one id (two subjects, split traffic).
  if (encodeSubjectToken(decoded) !== token) throw new SubjectTokenError('token is not in canonical form', token);
  return decoded;
}
