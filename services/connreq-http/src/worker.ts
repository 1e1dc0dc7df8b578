import { parseConnreqHttpCommand, type ConnreqHttpCommand } from '@acs/contracts';
import { createConnreqWorker, type ConnreqWorker, type ConnreqWorkerOptions } from '@acs/connreq-worker';
import { createEgressDispatchers, performHttpConnectionRequest, type Egress } from './http-connection-request.js';

/** The core's options (the same meaning and defaults) but the HTTP act's own settings in place of transport/perform. */
export type ConnreqHttpWorkerOptions = Pick<
  ConnreqWorkerOptions<ConnreqHttpCommand>,
  'bus' | 'subjects' | 'logger' | 'concurrency' | 'minIntervalPerDeviceMs' | 'retry' | 'ackWaitMs' | 'maxDeliver' | 'clock' | 'metrics'
> & {
  readonly http: {
    readonly connectTimeoutMs: number;
    /** Longest single GET; the command's deadline cuts it shorter. */
    readonly timeoutMs: number;
    /** Egress for commands that name none (`CONNREQ_HTTP_LOCAL_ADDRESS`, `CONNREQ_HTTP_PROXY_URL`). */
    readonly defaultEgress?: Egress;
  };
};

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
