import { encode, makeFault, type CwmpEnvelope, type CwmpHeader } from '@acs/cwmp';
import type { Logger, Metrics } from '@acs/telemetry';
import { challengeHeaders } from './auth.js';
import type { NonceService } from './nonce.js';

/** An HTTP request reduced to what the CWMP session machine needs. */
export interface CwmpHttpRequest {
  readonly method: string;
  /** Path and query as sent (the Digest `uri` must name it). */
  readonly requestTarget: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly authorization?: string;
  readonly cookie?: string | string[];
  readonly sourceIp: string;
  /** Source port of the TCP connection; absent behind a proxy, where it is the proxy's. */
  readonly sourcePort?: number;
  /** TLS here or (from a trusted proxy) at the load balancer. */
  readonly secure: boolean;
}

export interface CwmpHttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: string;
}

/** Correlation fields filled in as a request is understood, so that its one log line carries them. */
export interface RequestContext {
  readonly sourceIp: string;
  deviceId?: string;
  sessionId?: string;
}

type Headers = Record<string, string | readonly string[]>;

export const XML_CONTENT_TYPE = 'text/xml; charset="utf-8"';

export interface RepliesDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly nonces: NonceService;
  readonly settings: { readonly realm: string; readonly allowBasic: boolean; readonly retryAfterS: number };
}

export type Replies = ReturnType<typeof createReplies>;

/** Every reply the gateway sends, each counted (and, when refused, logged once) where it is built. */
export function createReplies(deps: RepliesDeps) {
  const { settings: s, nonces } = deps;
  const faults = deps.metrics.counter('acs.cwmp.faults', { description: 'CWMP faults, by code and direction' });
  const rejected = deps.metrics.counter('acs.cwmp.rejected', { description: 'HTTP requests refused, by status and reason' });

  const empty = (status: number, headers: Headers = {}): CwmpHttpReply => ({ status, headers, body: '' });
  const soap = (envelope: CwmpEnvelope, headers: Headers = {}): CwmpHttpReply => ({
    status: 200,
    headers: { 'Content-Type': XML_CONTENT_TYPE, ...headers },
    body: encode(envelope),
  });
  // cwmp-protocol.md §1.5: echo the ID only if the request carried one (possibly empty).
  const echo = (id: string | undefined): CwmpHeader => (id === undefined ? {} : { id });

  return {
    faults,
    rejected,
    empty,
    soap,
    echo,
    retryLater: (): CwmpHttpReply => empty(503, { 'Retry-After': String(s.retryAfterS), Connection: 'close' }),
    fault(cwmpNamespace: string, id: string | undefined, code: number, message?: string): CwmpHttpReply {
      faults.add(1, { code, direction: 'acs' });
      return soap({ cwmpNamespace, header: echo(id), body: makeFault(code, message) });
    },
    refuse(ctx: RequestContext, status: number, reason: string, extra: Record<string, unknown> = {}, headers: Headers = {}): CwmpHttpReply {
      rejected.add(1, { status, reason });
      deps.logger.warn({ ...ctx, status, code: reason, ...extra }, `CWMP request refused: ${reason}`);
      return empty(status, { Connection: 'close', ...headers });
    },
    challenge(req: CwmpHttpRequest, stale: boolean, extra: Headers = {}): CwmpHttpReply {
      const header = challengeHeaders({ realm: s.realm, nonce: nonces.issue(s.realm), stale, offerBasic: req.secure || s.allowBasic });
      return empty(401, { 'WWW-Authenticate': header, ...extra });
    },
  };
}
