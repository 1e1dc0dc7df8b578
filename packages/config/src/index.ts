export { defineConfig, loadConfig } from './load-config.js';
export type { ConfigDefinition, ConfigOf, Env, EnvShape } from './load-config.js';
export { ConfigError } from './errors.js';
export type { ConfigIssue } from './errors.js';
export { intVar, portVar, boolVar, durationVar, listVar, urlVar, enumVar, stringVar, secretVar } from './vars.js';
