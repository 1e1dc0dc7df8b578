import type { Bus } from '@acs/bus';
import { parseConnreqHttpCommand, type Subjects } from '@acs/contracts';
import { createConnreqWorker, type Clock, type ConnreqWorker, type RetryPolicy } from '@acs/connreq-worker';
import type { Logger, Metrics } from '@acs/telemetry';
import { createEgressDispatchers, performHttpConnectionRequest, type Egress } from './http-connection-request.js';

export interface ConnreqHttpWorkerOptions {
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  /** Connection requests in flight at once in this replica; while all are busy no command is taken. */
  readonly concurrency: number;
  /** Least time between two connection requests to one device (per replica). */
  readonly minIntervalPerDeviceMs: number;
  /** Back-off between tries of one command: `baseMs`, doubling, at most `maxMs`, with jitter. */
  readonly retry: RetryPolicy;
  readonly http: {
    readonly connectTimeoutMs: number;
    /** Longest single GET; the command's deadline cuts it shorter. */
    readonly timeoutMs: number;
    /** Egress for commands that name none (`CONNREQ_HTTP_LOCAL_ADDRESS`, `CONNREQ_HTTP_PROXY_URL`). */
    readonly defaultEgress?: Egress;
  };
  /**
   * JetStream ackWait of the durable consumer (default 60 s). A command is worked on for at most this long minus a
   * margin, so a live worker is never overtaken by the redelivery meant for a dead one.
   */
  readonly ackWaitMs?: number;
  /** Deliveries of one command before JetStream gives it up (default 5). */
  readonly maxDeliver?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

export type ConnreqHttpWorker = ConnreqWorker;

/**
 * The HTTP connection-request worker: the shared worker core (`@acs/connreq-worker`) on `cmd.connreq.http`, whose
 * act is one GET with Digest to the command's ConnectionRequestURL. The egress dispatchers are shared by all
 * commands (keep-alive between the 401 and the authenticated GET) and closed once the last request ended.
 */
export function createConnreqHttpWorker(options: ConnreqHttpWorkerOptions): ConnreqHttpWorker {
  const { http, ...common } = options;
  const dispatchers = createEgressDispatchers({ connectTimeoutMs: http.connectTimeoutMs });
  const now = common.clock?.now ?? Date.now;
  return createConnreqWorker({
    ...common,
    transport: 'http',
    parse: parseConnreqHttpCommand,
    perform: (cmd, { deadline }) =>
      performHttpConnectionRequest(
        { ...cmd, deadline: new Date(deadline).toISOString() },
        {
          connectTimeoutMs: http.connectTimeoutMs,
          timeoutMs: http.timeoutMs,
          dispatchers,
          ...(http.defaultEgress === undefined ? {} : { defaultEgress: http.defaultEgress }),
          now,
        },
      ),
    // A command that waited for a slot still gets one full GET.
    tryTimeoutMs: http.timeoutMs,
    onStop: () => dispatchers.close(),
  });
}
