import { createHash } from 'node:crypto';
import { parseVerifyCredentialsRequest, type CredentialProof, type DeviceIdStruct, type RegistryClient, type VerifyCredentialsReply } from '@acs/contracts';
import type { RateLimiter } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import { parseAuthorization, precheckDigest } from './auth.js';
import type { NonceService } from './nonce.js';
import type { CwmpHttpReply, CwmpHttpRequest, Replies, RequestContext } from './replies.js';
import type { SessionRepository } from './session.js';

/** Who the request says it is, after every check the gateway can make without the body. */
export interface Claim {
  readonly username: string;
  readonly proof: CredentialProof;
}

export type Admitted = Extract<VerifyCredentialsReply, { ok: true }>;

export interface LoginDeps {
  readonly registry: RegistryClient;
  readonly rateLimiter: RateLimiter;
  readonly repo: SessionRepository;
  readonly nonces: NonceService;
  readonly replies: Replies;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly settings: {
    readonly realm: string;
    readonly allowBasic: boolean;
    readonly authFailLimit: number;
    readonly authFailWindowMs: number;
    readonly retryAfterS: number;
  };
  readonly now: () => number;
}

export type Login = ReturnType<typeof createLogin>;

const sha = (v: string) => createHash('sha256').update(v).digest('base64url').slice(0, 22);

/**
 * Logging in happens in two halves around the parse of the body (cwmp-protocol.md §6.1): `claim` needs only
 * the headers, so a request without usable credentials is challenged before its body costs anything;
 * `verify` needs the device the Inform names, and asks the registry whether the password fits it.
 */
export function createLogin(deps: LoginDeps) {
  const { replies, repo, rateLimiter, nonces, settings: s, now } = deps;
  const authFailures = deps.metrics.counter('acs.cwmp.auth.failures', { description: 'failed logins, by reason' });
  // Each login is counted and blocked per source IP and per username (hashed: usernames are not logged keys).
  const subjects = (ip: string, username: string) => [`ip:${ip}`, `user:${sha(username)}`];

  async function blocked(ip: string, username: string): Promise<boolean> {
    const values = (await Promise.all(subjects(ip, username).map((who) => repo.getValue(`block:${who}`)))) as ({ until?: unknown } | null)[];
    const until = Math.max(0, ...values.map((v) => (v !== null && typeof v.until === 'number' ? v.until : 0)));
    return until > now();
  }

  /** Counts one failed login against the source IP and the username; true when one of them is now over its limit. */
  async function countFailure(ip: string, username: string, reason: string): Promise<boolean> {
    authFailures.add(1, { reason });
    const limit = { limit: s.authFailLimit, windowMs: s.authFailWindowMs };
    let over = false;
    for (const who of subjects(ip, username)) {
      const hit = await rateLimiter.hit(`cwmp:authfail:${who}`, limit);
      if (!hit.allowed) {
        over = true;
        await repo.putValue(`block:${who}`, { until: now() + hit.retryAfterMs }, hit.retryAfterMs);
      }
    }
    return over;
  }

  const tooManyFailures = (ctx: RequestContext, username: string, reason?: string): CwmpHttpReply =>
    replies.refuse(ctx, 503, 'TOO_MANY_FAILED_LOGINS', { username, ...(reason === undefined ? {} : { reason }) }, { 'Retry-After': String(s.retryAfterS) });

  /** One failed login: counted, logged once (as the block when it trips the limit), challenged again. */
  async function failed(req: CwmpHttpRequest, ctx: RequestContext, username: string, reason: string, message: string): Promise<CwmpHttpReply> {
    if (await countFailure(req.sourceIp, username, reason)) return tooManyFailures(ctx, username, reason);
    deps.logger.warn({ ...ctx, reason, username, code: 'AUTH_FAILED' }, message);
    return replies.challenge(req, false, { Connection: 'close' });
  }

  return {
    /** The credentials of the request's headers, or the reply that asks for (better) ones. */
    async claim(req: CwmpHttpRequest, ctx: RequestContext): Promise<Claim | CwmpHttpReply> {
      const auth = parseAuthorization(req.authorization);
      let claim: Claim;
      switch (auth.scheme) {
        case 'none':
          return replies.challenge(req, false);
        case 'malformed':
          deps.logger.debug({ ...ctx, reason: auth.reason }, 'unparsable Authorization header; challenging');
          return replies.challenge(req, false);
        case 'basic':
          if (!req.secure && !s.allowBasic) {
            // Pre-emptive Basic over plain HTTP (pitfall 19): not a failed login, just ask for Digest.
            deps.logger.info(ctx, 'Basic credentials over plain HTTP refused; challenging for Digest');
            return replies.challenge(req, false);
          }
          claim = { username: auth.username, proof: { scheme: 'basic', password: auth.password } };
          break;
        case 'digest': {
          const pre = precheckDigest(auth, { realm: s.realm, method: req.method, requestTarget: req.requestTarget, nonces });
          if (!pre.ok && pre.stale) return replies.challenge(req, true);
          if (!pre.ok) {
            if (await blocked(req.sourceIp, auth.username)) return tooManyFailures(ctx, auth.username);
            return failed(req, ctx, auth.username, `digest_${pre.reason}`, 'Digest credentials rejected before verification');
          }
          claim = { username: auth.username, proof: pre.proof };
          break;
        }
      }
      if (await blocked(req.sourceIp, claim.username)) return tooManyFailures(ctx, claim.username);
      return claim;
    },

    /** Whether the registry admits `claim` for the device the Inform names. */
    async verify(req: CwmpHttpRequest, ctx: RequestContext, claim: Claim, deviceId: string, ids: DeviceIdStruct): Promise<Admitted | CwmpHttpReply> {
      const request = { deviceId, deviceIdStruct: ids, username: claim.username, proof: claim.proof, sourceIp: req.sourceIp };
      // The registry would refuse it as a broken contract (and we would answer 500): it is the CPE's input that is wrong.
      const valid = parseVerifyCredentialsRequest(request);
      if (!valid.ok) return replies.refuse(ctx, 400, 'INVALID_DEVICE_ID', { err: valid.error.message });
      const verdict = await deps.registry.verifyCredentials(request);
      if (verdict.ok) return verdict;
      return failed(req, ctx, claim.username, verdict.reason, 'login refused');
    },
  };
}

export const isReply = (v: object): v is CwmpHttpReply => 'status' in v && 'headers' in v;
