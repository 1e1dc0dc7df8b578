import { createConnreqHttpWorker, type ConnreqHttpWorker, type ConnreqHttpWorkerOptions } from './worker.js';

/** The adapters the worker runs on (the caller's: it drains the bus after stop()). */
export type ConnreqHttpServiceDeps = Pick<ConnreqHttpWorkerOptions, 'bus' | 'subjects' | 'logger' | 'metrics' | 'clock'>;

/** The worker's tuning: what CONNREQ_HTTP_* set (workerSettings), in the service and in the all-in-one alike. */
export type ConnreqHttpServiceSettings = Omit<ConnreqHttpWorkerOptions, keyof ConnreqHttpServiceDeps>;

export type ConnreqHttpService = ConnreqHttpWorker;

/**
 * The HTTP connection-request worker as one unit, adapters apart from settings as the other services' units take
 * them. The worker already is a unit (start: consume `cmd.connreq.http`; stop: hand back waiting commands, let
 * requests on the wire end and publish), so this only splits its options.
 */
export function createConnreqHttpService(deps: ConnreqHttpServiceDeps, settings: ConnreqHttpServiceSettings): ConnreqHttpService {
  return createConnreqHttpWorker({ ...deps, ...settings });
}
