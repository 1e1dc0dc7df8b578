import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The signed fields of a TR-069 Annex G UDP connection request (cwmp-protocol §8.3). */
export interface UdpConnectionRequestFields {
  /** Unix time in seconds. */
  readonly ts: number;
  /** Message id, unsigned 32-bit; repeats of one request carry the same. */
  readonly id: number;
  /** ConnectionRequestUsername. */
  readonly un: string;
  /** Random cnonce. */
  readonly cn: string;
}

export interface UdpConnectionRequest extends UdpConnectionRequestFields {
  /** Host and port of the request line's URI (the NAT binding the datagram was addressed to). */
  readonly host: string;
  readonly port: number;
  /** Lower-case hex HMAC-SHA1 as received. */
  readonly sig: string;
}

/** hex HMAC-SHA1(key = ConnectionRequestPassword, text = ts + id + un + cn), no separators. */
export function udpConnectionRequestSignature(fields: UdpConnectionRequestFields, password: string): string {
  return createHmac('sha1', password).update(`${fields.ts}${fields.id}${fields.un}${fields.cn}`).digest('hex');
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Fresh `ts`/`id`/`cn` for one connection request; its repeats reuse them. */
export function newUdpConnectionRequestFields(username: string, nowMs: number): UdpConnectionRequestFields {
  return { ts: Math.floor(nowMs / 1000), id: randomBytes(4).readUInt32BE(0), un: username, cn: randomBytes(8).toString('hex') };
}

/**
 * The datagram: an HTTP/1.1 GET with an absolute URI, a Host header and a blank line. `un` is sent as is (neither
 * GenieACS nor icwmp percent-encode it), which is why UDP-capable CPEs get URL-safe usernames.
 */
export function encodeUdpConnectionRequest(target: { host: string; port: number }, fields: UdpConnectionRequestFields, password: string): Buffer {
  const hp = hostPort(target.host, target.port);
  const sig = udpConnectionRequestSignature(fields, password);
  return Buffer.from(`GET http://${hp}?ts=${fields.ts}&id=${fields.id}&un=${fields.un}&cn=${fields.cn}&sig=${sig} HTTP/1.1\r\nHost: ${hp}\r\n\r\n`, 'latin1');
}

export type UdpConnectionRequestParse = { readonly ok: true; readonly request: UdpConnectionRequest } | { readonly ok: false; readonly reason: string };

const MAX_DATAGRAM = 2048;

/** Parses a datagram received on the UDP connection-request port; anything else is a reason, never a throw. */
export function parseUdpConnectionRequest(datagram: Buffer): UdpConnectionRequestParse {
  if (datagram.length > MAX_DATAGRAM) return { ok: false, reason: `datagram of ${datagram.length} bytes` };
  const text = datagram.toString('latin1');
  const lineEnd = text.indexOf('\r\n');
  const match = /^GET (\S+) HTTP\/1\.1$/.exec(lineEnd < 0 ? text : text.slice(0, lineEnd));
  if (!match) return { ok: false, reason: 'not an HTTP/1.1 GET request line' };
  let url: URL;
  try {
    url = new URL(match[1]!);
  } catch {
    return { ok: false, reason: 'request URI is not an absolute URL' };
  }
  if (url.protocol !== 'http:') return { ok: false, reason: `scheme ${url.protocol}` };
  // Annex G does not percent-encode; read the raw query so `un` is compared byte for byte.
  const raw = new Map<string, string>();
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) raw.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const ts = Number(raw.get('ts'));
  const id = Number(raw.get('id'));
  const un = raw.get('un');
  const cn = raw.get('cn');
  const sig = raw.get('sig');
  if (!Number.isSafeInteger(ts) || ts < 0) return { ok: false, reason: 'ts is not a Unix time' };
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) return { ok: false, reason: 'id is not an unsigned 32-bit integer' };
  if (un === undefined || cn === undefined || sig === undefined) return { ok: false, reason: 'un, cn or sig missing' };
  if (!/^[0-9a-fA-F]{40}$/.test(sig)) return { ok: false, reason: 'sig is not 40 hex digits' };
  const port = url.port === '' ? 80 : Number(url.port);
  return { ok: true, request: { host: url.hostname.replace(/^\[|\]$/g, ''), port, ts, id, un, cn, sig: sig.toLowerCase() } };
}

/** True when `sig` is the signature of the fields under `password` (hex case ignored, constant time). */
export function verifyUdpConnectionRequest(request: UdpConnectionRequest, password: string): boolean {
  const expected = Buffer.from(udpConnectionRequestSignature(request, password), 'hex');
  return timingSafeEqual(expected, Buffer.from(request.sig, 'hex'));
}

export type UdpConnectionRequestVerdict = 'accept' | 'duplicate' | 'stale' | 'bad_username' | 'bad_signature';

/**
 * A CPE's replay rule (icwmp): a request is new only with an `id` other than the last accepted one **and** a `ts`
 * newer than the last accepted one, and within `maxAgeS` of the CPE's clock; repeats of the accepted request are
 * `duplicate` (harmless, ignored). State is the last accepted pair only.
 */
export class UdpConnectionRequestGuard {
  #lastId: number | undefined;
  #lastTs = -1;

  constructor(private readonly options: { readonly maxAgeS: number } = { maxAgeS: 300 }) {}

  judge(request: UdpConnectionRequest, expected: { username: string; password: string }, nowMs: number): UdpConnectionRequestVerdict {
    if (request.id === this.#lastId && request.ts === this.#lastTs) return 'duplicate';
    if (request.ts <= this.#lastTs || Math.abs(nowMs / 1000 - request.ts) > this.options.maxAgeS) return 'stale';
    if (request.un !== expected.username) return 'bad_username';
    if (!verifyUdpConnectionRequest(request, expected.password)) return 'bad_signature';
    this.#lastId = request.id;
    this.#lastTs = request.ts;
    return 'accept';
  }
}
