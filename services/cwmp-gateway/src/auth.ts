import { BASIC, DIGEST, buildWWWAuthenticateHeader, parseAuthorizationHeader } from 'http-auth-utils';
import type { CredentialProof } from '@acs/contracts';
import type { NonceService } from './nonce.js';

/** What the CPE's `Authorization` header holds, before anyone checked a password. */
export type Authorization =
  | { readonly scheme: 'none' }
  | { readonly scheme: 'malformed'; readonly reason: string }
  | {
      readonly scheme: 'digest';
      readonly username: string;
      readonly realm: string;
      readonly nonce: string;
      readonly uri: string;
      readonly response: string;
      readonly qop?: string;
      readonly nc?: string;
      readonly cnonce?: string;
      readonly algorithm?: string;
    }
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string };

// A CPE username is at most 256 characters (TR-069 ManagementServer.Username); longer is garbage.
const MAX_USERNAME = 256;

/** Parses the header with http-auth-utils (scheme names case-insensitive); never throws. */
export function parseAuthorization(header: string | undefined): Authorization {
  if (header === undefined || header.trim() === '') return { scheme: 'none' };
  let parsed;
  try {
    parsed = parseAuthorizationHeader(header.trim(), [BASIC, DIGEST], { strict: false });
  } catch (e) {
    return { scheme: 'malformed', reason: (e as { code?: string }).code ?? 'unparsable' };
  }
  if (parsed.type === BASIC.type) {
    const d = parsed.data as { username?: string; password?: string };
    if (!d.username || d.username.length > MAX_USERNAME) return { scheme: 'malformed', reason: 'E_BAD_BASIC_USERNAME' };
    return { scheme: 'basic', username: d.username, password: d.password ?? '' };
  }
  const d = parsed.data as Record<string, string | undefined>;
  const { username, realm, nonce, uri, response } = d;
  if (!username || realm === undefined || !nonce || !uri || !response || username.length > MAX_USERNAME) {
    return { scheme: 'malformed', reason: 'E_MISSING_DIGEST_FIELD' };
  }
  return {
    scheme: 'digest',
    username,
    realm,
    nonce,
    uri,
    response,
    ...(d.qop === undefined ? {} : { qop: d.qop }),
    ...(d.nc === undefined ? {} : { nc: d.nc }),
    ...(d.cnonce === undefined ? {} : { cnonce: d.cnonce }),
    ...(d.algorithm === undefined ? {} : { algorithm: d.algorithm }),
  };
}

/** Outcome of the checks the gateway can make alone; the password itself is checked by the registry. */
export type DigestPrecheck =
  | { readonly ok: true; readonly proof: CredentialProof }
  | { readonly ok: false; readonly stale: true }
  | { readonly ok: false; readonly stale: false; readonly reason: string };

/**
 * RFC 2617 checks that need no password: our realm, MD5, qop=auth (with nc and cnonce) or the RFC 2069 form, a
 * nonce we signed and that has not expired, and a `uri` naming the request target (cwmp-protocol.md §6.1).
 */
export function precheckDigest(
  auth: Extract<Authorization, { scheme: 'digest' }>,
  ctx: { readonly realm: string; readonly method: string; readonly requestTarget: string; readonly nonces: NonceService },
): DigestPrecheck {
  if (auth.realm !== ctx.realm) return { ok: false, stale: false, reason: 'realm' };
  if (auth.algorithm !== undefined && auth.algorithm.toUpperCase() !== 'MD5') return { ok: false, stale: false, reason: 'algorithm' };
  if (auth.qop !== undefined && (auth.qop !== 'auth' || auth.nc === undefined || auth.cnonce === undefined)) {
    return { ok: false, stale: false, reason: 'qop' };
  }
  if (!sameTarget(auth.uri, ctx.requestTarget)) return { ok: false, stale: false, reason: 'uri' };
  const nonce = ctx.nonces.check(auth.nonce, ctx.realm);
  if (nonce === 'stale') return { ok: false, stale: true };
  if (nonce === 'invalid') return { ok: false, stale: false, reason: 'nonce' };
  return {
    ok: true,
    proof: {
      scheme: 'digest',
      realm: auth.realm,
      nonce: auth.nonce,
      uri: auth.uri,
      method: ctx.method,
      response: auth.response,
      ...(auth.qop === undefined ? {} : { qop: auth.qop, nc: auth.nc, cnonce: auth.cnonce }),
    },
  };
}

// Some clients put the absolute URI in `uri` (RFC 2616 allows it); compare path and query only.
function sameTarget(uri: string, requestTarget: string): boolean {
  if (uri === requestTarget) return true;
  if (!/^https?:\/\//i.test(uri)) return false;
  try {
    const u = new URL(uri);
    return `${u.pathname}${u.search}` === requestTarget;
  } catch {
    return false;
  }
}

/** `WWW-Authenticate` values of a 401: Basic first where it is acceptable (GenieACS on TLS), Digest always. */
export function challengeHeaders(opts: { readonly realm: string; readonly nonce: string; readonly stale: boolean; readonly offerBasic: boolean }): string[] {
  const digest = buildWWWAuthenticateHeader(DIGEST, {
    realm: opts.realm,
    nonce: opts.nonce,
    algorithm: 'MD5',
    qop: 'auth',
    ...(opts.stale ? { stale: 'true' as const } : {}),
  });
  return opts.offerBasic ? [buildWWWAuthenticateHeader(BASIC, { realm: opts.realm }), digest] : [digest];
}
