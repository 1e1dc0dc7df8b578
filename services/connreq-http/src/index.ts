export { createConnreqHttpWorker } from './worker.js';
export type { ConnreqHttpWorker, ConnreqHttpWorkerOptions } from './worker.js';
// The core's, re-exported for callers that tune or test the HTTP worker.
export { systemClock, ConnreqWorkerStateError } from '@acs/connreq-worker';
export type { Clock } from '@acs/connreq-worker';
export { performHttpConnectionRequest, createEgressDispatchers } from './http-connection-request.js';
export type {
  Egress,
  EgressDispatchers,
  EgressDispatchersOptions,
  HttpConnectionRequestOptions,
  HttpConnectionRequestResult,
  HttpConnreqOutcome,
} from './http-connection-request.js';
export { connreqHttpConfig, workerSettings } from './config.js';
export type { ConnreqHttpConfig, WorkerSettingsConfig } from './config.js';
export { createConnreqHttpService } from './service.js';
export type { ConnreqHttpService, ConnreqHttpServiceDeps, ConnreqHttpServiceSettings } from './service.js';
