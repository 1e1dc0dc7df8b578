export const SESSION_COOKIE = 'acs_sid';

// Our ids are base64url; anything else in the cookie is not one of ours.
const SESSION_ID_RE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The session id from a `Cookie` header, parsed leniently (cwmp-protocol.md §1.4, §12.19): `;` or `,`
 * separators (some CPEs use commas), echoed attributes such as `Path=/` ignored, several headers joined.
 * When the cookie appears more than once the last well-formed value wins (a CPE appending the new one).
 */
export function sessionIdFromCookies(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(';') : header;
  let found: string | undefined;
  for (const part of text.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (SESSION_ID_RE.test(value)) found = value;
  }
  return found;
}

/** Minimal on purpose (cwmp-protocol.md §12.18): Path=/ so every CPE sends it back, HttpOnly, nothing else. */
export function sessionCookie(sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly`;
}
