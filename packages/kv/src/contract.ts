// Entry point `@acs/kv/contract`: the shared suites, for adapters living in other packages.
export { describeSessionStoreContract } from './session-store.contract.js';
export type { SessionStoreFixture } from './session-store.contract.js';
export { describeDeviceLockContract } from './device-lock.contract.js';
export type { DeviceLockFixture } from './device-lock.contract.js';
export { describeRateLimiterContract } from './rate-limiter.contract.js';
export type { RateLimiterFixture } from './rate-limiter.contract.js';
