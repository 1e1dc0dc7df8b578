export { createConnreqStunService, CONNREQ_STUN_SERVICE } from './service.js';
export type { ConnreqStunDeps, ConnreqStunReadiness, ConnreqStunService, ConnreqStunSettings } from './service.js';
export { connreqStunConfig, serviceSettings } from './config.js';
export type { ConnreqStunConfig } from './config.js';
export { stunPasswordFor, stunUsernameFor } from './credentials.js';
export { bindingTtlMs } from './binding-store.js';
export type { Binding } from './binding-store.js';
export type { StunServerCounters } from './stun-server.js';
