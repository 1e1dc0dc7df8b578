export { createAllInOne, DEFAULT_CWMP_PORT, DEFAULT_NBI_PORT, DEFAULT_HOST, DATABASE_FILE, SECRET_KEY_FILE, NONCE_SECRET_FILE } from './all-in-one.js';
// How long stop() lets requests in flight finish before it closes their connections.
export { DRAIN_TIMEOUT_MS } from '@acs/service';
export type { AllInOne, AllInOneOptions, Listen } from './all-in-one.js';
export { appConfig, allInOneOptions } from './config.js';
export type { AppConfig } from './config.js';
export { DataDirError, ensureDataDir, loadOrCreateSecret } from './data-dir.js';
