export { createConnreqHttpWorker, systemClock, ConnreqWorkerStateError } from './worker.js';
export type { ConnreqHttpWorker, ConnreqHttpWorkerOptions, Clock } from './worker.js';
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
export type { ConnreqHttpConfig } from './config.js';
