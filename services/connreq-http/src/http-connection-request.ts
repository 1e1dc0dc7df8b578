import { createHash, randomBytes } from 'node:crypto';
import type { ConnreqHttpCommand, ConnreqOutcome } from '@acs/contracts';
import { BASIC, DIGEST, parseWWWAuthenticateHeader } from 'http-auth-utils';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';

/** How the worker reaches a ConnectionRequestURL: a local source address to bind (VPN side), or an HTTP proxy. */
export interface Egress {
  readonly localAddress?: string | undefined;
  readonly proxyUrl?: string | undefined;
}

/** One undici dispatcher per distinct egress, reused across requests (keep-alive between the 401 and the retry). */
export interface EgressDispatchers {
  get(egress: Egress): Dispatcher;
  /** Closes every dispatcher; requests in flight finish first. */
  close(): Promise<void>;
}

export interface EgressDispatchersOptions {
  /** TCP connect timeout (GenieACS uses 2 s: a CPE that does not answer SYN quickly is not there). */
  readonly connectTimeoutMs: number;
  /** Distinct egress settings kept open at once; the oldest is closed past this. Default 32. */
  readonly maxDispatchers?: number;
}

export function createEgressDispatchers(options: EgressDispatchersOptions): EgressDispatchers {
  const dispatchers = new Map<string, Dispatcher>();
  const max = options.maxDispatchers ?? 32;
  const connect = { timeout: options.connectTimeoutMs };
  // undici takes the source address as a client option, not a connector one.
  const bind = (localAddress: string | undefined) => (localAddress === undefined ? {} : { localAddress });
  return {
    get(egress) {
      const key = `${egress.localAddress ?? ''}|${egress.proxyUrl ?? ''}`;
      const existing = dispatchers.get(key);
      if (existing) return existing;
      const dispatcher =
        egress.proxyUrl === undefined
          ? new Agent({ connect, ...bind(egress.localAddress) })
          : new ProxyAgent({
              uri: egress.proxyUrl,
              // The connection request is plain HTTP: forward it as an absolute-URI request. CONNECT tunnels are
              // refused by common proxy setups for ports other than 443 (squid's default SSL_ports rule).
              proxyTunnel: false,
              proxyTls: connect,
              connect,
              ...bind(egress.localAddress),
            });
      dispatchers.set(key, dispatcher);
      if (dispatchers.size > max) {
        const [oldestKey, oldest] = dispatchers.entries().next().value as [string, Dispatcher];
        dispatchers.delete(oldestKey);
        void oldest.close().catch(() => {});
      }
      return dispatcher;
    },
    async close() {
      const all = [...dispatchers.values()];
      dispatchers.clear();
      await Promise.allSettled(all.map((d) => d.close()));
    },
  };
}

export interface HttpConnectionRequestOptions {
  /** TCP connect timeout; used when no `dispatchers` are given. */
  readonly connectTimeoutMs: number;
  /** Longest one GET may take (connect, answer, body); always cut at the command's deadline. */
  readonly timeoutMs: number;
  /** Shared dispatchers (the worker's); without them a one-off dispatcher is made and closed. */
  readonly dispatchers?: EgressDispatchers;
  /** Used where the command names no egress (e.g. `CONNREQ_HTTP_LOCAL_ADDRESS`). */
  readonly defaultEgress?: Egress;
  /** Wall clock in ms (the deadline is a wall-clock instant). */
  readonly now?: () => number;
}

export type HttpConnreqOutcome = Exclude<ConnreqOutcome, 'no_route'>;

/** What one connection request ended in. CPE behaviour is always a value here, never an exception. */
export interface HttpConnectionRequestResult {
  readonly outcome: HttpConnreqOutcome;
  readonly detail?: string;
  readonly latencyMs: number;
  /** True when trying again may end otherwise and cannot harm: the CPE was not reached, or asked us to wait. */
  readonly retryable: boolean;
  /** From the CPE's `Retry-After` on 503/429. */
  readonly retryAfterMs?: number;
  /** Requests that carried an `Authorization` header (0, 1, or 2 when the CPE dropped the socket after the 401). */
  readonly authenticatedRequests: number;
}

type Exchange =
  | { readonly kind: 'response'; readonly status: number; readonly headers: Record<string, string | string[] | undefined> }
  | {
      readonly kind: 'error';
      readonly outcome: 'unreachable' | 'timeout';
      readonly detail: string;
      readonly retryable: boolean;
      /** The socket failed under us (closed, reset, refused): the GenieACS quirk retries the authenticated GET once. */
      readonly connectionError: boolean;
    };

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
    const first = (e as { errors?: unknown[] }).errors?.[0];
    e = first ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message || (code ?? 'error');
}

async function get(url: string, headers: Record<string, string>, dispatcher: Dispatcher, budgetMs: number): Promise<Exchange> {
  const signal = AbortSignal.timeout(Math.max(1, budgetMs));
  try {
    const res = await request(url, { method: 'GET', headers, dispatcher, signal, headersTimeout: budgetMs, bodyTimeout: budgetMs });
    // A connection-request answer has no meaningful body; read it so the socket can be reused for the retry.
    await res.body.dump().catch(() => {});
    return { kind: 'response', status: res.statusCode, headers: res.headers };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      // The SYN went unanswered: the CPE never saw the request, so trying again is harmless.
      return { kind: 'error', outcome: 'timeout', detail: `no answer to connect (${describe(error)})`, retryable: true, connectionError: false };
    }
    if (signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return { kind: 'error', outcome: 'timeout', detail: `no answer within ${budgetMs} ms`, retryable: false, connectionError: false };
    }
    const connectionError = code !== undefined && CONNECTION_ERRORS.has(code);
    return { kind: 'error', outcome: 'unreachable', detail: describe(error), retryable: true, connectionError };
  }
}

function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const raw = headerList(value)[0]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type Challenge =
  | { readonly scheme: 'digest'; readonly data: ReturnType<typeof DIGEST.parseWWWAuthenticateRest> }
  | { readonly scheme: 'basic' }
  | { readonly scheme: 'unusable'; readonly detail: string };

/** Picks the challenge to answer: Digest first; Basic only when the command allows it. */
function pickChallenge(values: string[], allowBasic: boolean): Challenge {
  let basicOffered = false;
  const problems: string[] = [];
  for (const value of values) {
    let parsed;
    try {
      parsed = parseWWWAuthenticateHeader(value.trim(), [DIGEST, BASIC], { strict: false });
    } catch (error) {
      problems.push(`${(error as { code?: string }).code ?? 'unparsable'} in ${JSON.stringify(value.slice(0, 120))}`);
      continue;
    }
    if (parsed.type === DIGEST.type) return { scheme: 'digest', data: parsed.data as ReturnType<typeof DIGEST.parseWWWAuthenticateRest> };
    basicOffered = true;
  }
  if (basicOffered) {
    return allowBasic ? { scheme: 'basic' } : { scheme: 'unusable', detail: 'CPE challenges with Basic only and allowBasicAuth is false' };
  }
  if (values.length === 0) return { scheme: 'unusable', detail: '401 without WWW-Authenticate' };
  return { scheme: 'unusable', detail: `no usable challenge: ${problems.join('; ')}` };
}

// RFC 7616 algorithm names -> node:crypto names. MD5-sess needs the cnonce in HA1, which the library does not do.
const DIGEST_ALGORITHMS: Readonly<Record<string, string>> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

function quoted(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

type Authorization = { readonly ok: true; readonly header: string } | { readonly ok: false; readonly detail: string };

function authorize(
  challenge: Exclude<Challenge, { scheme: 'unusable' }>,
  credentials: { username: string; password: string },
  uri: string,
  nc: number,
): Authorization {
  if (challenge.scheme === 'basic') return { ok: true, header: `Basic ${BASIC.computeHash(credentials)}` };
  const c = challenge.data;
  const algorithmName = (c.algorithm ?? 'MD5').toUpperCase();
  const algorithm = DIGEST_ALGORITHMS[algorithmName];
  if (algorithm === undefined) return { ok: false, detail: `unsupported Digest algorithm ${algorithmName}` };
  const qops = (c.qop ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q !== '');
  const ncValue = nc.toString(16).padStart(8, '0');
  const cnonce = randomBytes(8).toString('hex');
  const common = { username: credentials.username, realm: c.realm, nonce: c.nonce, uri };
  let response: string;
  let qopPart = '';
  if (qops.includes('auth')) {
    response = DIGEST.computeHash({ ...common, password: credentials.password, algorithm, method: 'GET', nc: ncValue, cnonce, qop: 'auth' });
    qopPart = `, qop=auth, nc=${ncValue}, cnonce=${quoted(cnonce)}`;
  } else if (qops.length === 0) {
    // RFC 2069 compatibility (no qop): http-auth-utils always mixes nc/cnonce/qop in, so the short form is done here.
    const h = (s: string) => createHash(algorithm).update(s).digest('hex');
    response = h(`${h(`${credentials.username}:${c.realm}:${credentials.password}`)}:${c.nonce}:${h(`GET:${uri}`)}`);
  } else {
    return { ok: false, detail: `unsupported Digest qop ${c.qop ?? ''}` };
  }
  // Formatted here rather than with buildAuthorizationHeader: RFC 7616 §3.4 sends qop, nc and algorithm as bare
  // tokens, and some CPE Digest parsers compare `qop=auth` literally; quoted-string values are escaped.
  const header =
    `Digest username=${quoted(credentials.username)}, realm=${quoted(c.realm)}, nonce=${quoted(c.nonce)}, uri=${quoted(uri)}` +
    `, algorithm=${algorithmName}, response=${quoted(response)}${c.opaque === undefined ? '' : `, opaque=${quoted(c.opaque)}`}${qopPart}`;
  return { ok: true, header };
}

/**
 * One HTTP connection request (TR-069 §3.2.2, cwmp-protocol.md §7): GET the ConnectionRequestURL, answer a 401 with
 * Digest (Basic only when `allowBasicAuth` and that is what the CPE asks for) exactly once, and classify the answer.
 * Never throws for anything the CPE or the network does; retries (back-off, Retry-After) are the caller's policy.
 */
export async function performHttpConnectionRequest(
  cmd: Pick<ConnreqHttpCommand, 'url' | 'credentials' | 'allowBasicAuth' | 'egress' | 'deadline'>,
  opts: HttpConnectionRequestOptions,
): Promise<HttpConnectionRequestResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const deadline = Date.parse(cmd.deadline);
  // A command's egress replaces the default as a whole: mixing a default proxy into a VPN bind would be neither.
  const egress: Egress = stripUndefined(cmd.egress ?? opts.defaultEgress ?? {});
  const own = opts.dispatchers ? undefined : createEgressDispatchers({ connectTimeoutMs: opts.connectTimeoutMs });
  const dispatcher = (opts.dispatchers ?? (own as EgressDispatchers)).get(egress);
  let authenticatedRequests = 0;
  const done = (r: Omit<HttpConnectionRequestResult, 'latencyMs' | 'authenticatedRequests'>): HttpConnectionRequestResult => ({
    ...r,
    latencyMs: Math.max(0, now() - started),
    authenticatedRequests,
  });
  const budget = () => Math.min(opts.timeoutMs, deadline - now());
  const fromError = (e: Extract<Exchange, { kind: 'error' }>) => done({ outcome: e.outcome, detail: e.detail, retryable: e.retryable });
  const fromStatus = (status: number, headers: Record<string, string | string[] | undefined>, authenticated: boolean) => {
    if (status >= 200 && status < 300) return done({ outcome: 'accepted', ...(status === 200 ? {} : { detail: `HTTP ${status}` }), retryable: false });
    if (status === 503 || status === 429) {
      // The CPE caps connection requests per period (TR-069 §3.2.2) or is busy in a session.
      const after = retryAfterMs(headers['retry-after'], now());
      return done({ outcome: 'rejected', detail: `HTTP ${status}`, retryable: true, ...(after === undefined ? {} : { retryAfterMs: after }) });
    }
    // Through a forwarding proxy, the proxy's own verdicts on the CPE.
    if (status === 502) return done({ outcome: 'unreachable', detail: 'HTTP 502 from the path to the CPE', retryable: true });
    if (status === 504) return done({ outcome: 'timeout', detail: 'HTTP 504 from the path to the CPE', retryable: false });
    if (status === 401 || status === 403) {
      return done({ outcome: 'auth_failed', detail: authenticated ? `HTTP ${status} after authenticating` : `HTTP ${status}`, retryable: false });
    }
    return done({ outcome: 'rejected', detail: `HTTP ${status}`, retryable: false });
  };

  try {
    if (!(budget() > 0)) return done({ outcome: 'timeout', detail: 'deadline passed before the request', retryable: false });
    const first = await get(cmd.url, {}, dispatcher, budget());
    if (first.kind === 'error') return fromError(first);
    if (first.status !== 401) return fromStatus(first.status, first.headers, false);
    if (cmd.credentials === undefined) return done({ outcome: 'auth_failed', detail: 'CPE asks for credentials and the command has none', retryable: false });

    const challenge = pickChallenge(headerList(first.headers['www-authenticate']), cmd.allowBasicAuth ?? false);
    if (challenge.scheme === 'unusable') return done({ outcome: 'auth_failed', detail: challenge.detail, retryable: false });
    const uri = requestUri(cmd.url);
    let exchange: Exchange | undefined;
    for (let nc = 1; nc <= 2; nc++) {
      if (!(budget() > 0)) break;
      const authorization = authorize(challenge, cmd.credentials, uri, nc);
      if (!authorization.ok) return done({ outcome: 'auth_failed', detail: authorization.detail, retryable: false });
      authenticatedRequests += 1;
      exchange = await get(cmd.url, { authorization: authorization.header }, dispatcher, budget());
      // Some CPEs close the socket after the 401 and the reused keep-alive socket fails: GenieACS retries once.
      if (!(exchange.kind === 'error' && exchange.connectionError)) break;
    }
    if (exchange === undefined) return done({ outcome: 'timeout', detail: 'deadline passed before the authenticated request', retryable: false });
    if (exchange.kind === 'error') return fromError(exchange);
    return fromStatus(exchange.status, exchange.headers, true);
  } finally {
    if (own) await own.close();
  }
}

function stripUndefined(egress: Egress): Egress {
  return {
    ...(egress.localAddress === undefined ? {} : { localAddress: egress.localAddress }),
    ...(egress.proxyUrl === undefined ? {} : { proxyUrl: egress.proxyUrl }),
  };
}

/** The Digest `uri`: the request target as the CPE sees it (origin form), also when we go through a proxy. */
function requestUri(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
