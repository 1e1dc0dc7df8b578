export { runMain, EXIT_CODES } from './run-main.js';
export type { MainContext, RunMainOptions, Started } from './run-main.js';
export { closeServer, DRAIN_TIMEOUT_MS, listen, urlOf } from './http-listener.js';
export type { ListenOptions } from './http-listener.js';
export { startHealthServer } from './health-server.js';
export type { HealthServer, Readiness } from './health-server.js';
