export { createRegistry } from './registry.js';
export type { Registry, RegistryOptions, EndpointHandler } from './registry.js';
export { DEFAULT_POLICY } from './deps.js';
export type { Clock, RegistryDeps, RegistryPolicy } from './deps.js';
export { checkRegistryConfig, registryConfig, policyFromConfig, registryServiceSettings } from './config.js';
export type { RegistryConfig, RegistryPolicyConfig, RegistryServiceConfig } from './config.js';
export { CATCH_ALL_TYPE_NAME, expectedDigestResponse } from './credentials.js';
export { ACS_METHODS } from './cpe-requests.js';
export { profileParameterKey, ProfileTemplateError } from './profiles.js';
export { TaskArgsError } from './tasks-to-rpc.js';
export { UnknownTaskError } from './results.js';
export { TASK_PRIORITY } from './task-meta.js';
export {
  StoreError,
  StoreConflictError,
  StoreNotFoundError,
  StoreValidationError,
  StoreUnavailableError,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  DEFAULT_TASK_MAX_ATTEMPTS,
} from './store/device-store.js';
export type {
  DeviceStore,
  DeviceRecords,
  ParameterTree,
  CredentialStore,
  DeviceTypeStore,
  TaskQueue,
  FaultLog,
  DeviceFilter,
  DeviceListOptions,
  DeviceView,
  Page,
  PageResult,
  TaskFilter,
  FaultFilter,
  CredentialFilter,
} from './store/device-store.js';
// The adapters have entries of their own (`@acs/device-registry/mongo`, `/sqlite`): this one loads no database driver.
export type * from './store/types.js';
export { TASK_TYPES, DEFAULT_CONNECTION_REQUEST_POLICY, DEFAULT_STUN_PROVISIONING } from './store/types.js';
export {
  hashForDigest,
  hashForBasic,
  verifyBasic,
  createSecretBox,
  generateSecret,
  SecretFormatError,
  SecretKeyError,
  SecretDecryptError,
} from './secrets.js';
export type { SecretBox } from './secrets.js';
export {
  createNbi,
  buildOpenApiDocument,
  API_PREFIX,
  MemoryTokenStore,
  FileTokenStore,
  createMemoryTokenStore,
  createFileTokenStore,
  ensureAdminToken,
} from './nbi/index.js';
export type { NbiDeps, TokenStore, TokenInfo, IssuedToken, NbiRole } from './nbi/index.js';
export { createPokeRouter, PokeRouterStateError } from './router/poke-router.js';
export type { PokeRouter, PokeRouterOptions, RoutingStore } from './router/poke-router.js';
export { planConnectionRequest, addressScope, normaliseIp } from './router/route-plan.js';
export type { RoutePlan, PlannedCommand, SkippedTransport, PlanInput, SecretOpener, AddressScope } from './router/route-plan.js';
export { pokeRequestIdFor, lastPokeFor, CONNECTION_REQUEST_EVENT, LAST_POKE_MAX_AGE_MS } from './router/last-poke.js';
export { busXmppAccounts, xmppUsernameFor, XmppAccountError } from './xmpp/accounts.js';
export type { XmppAccounts, XmppAccount } from './xmpp/accounts.js';
export { busStunCredentials, StunCredentialsError } from './stun/credentials.js';
export type { StunCredentials, StunSettings } from './stun/credentials.js';
export { createStunBindingConsumer, udpAddressOf } from './stun/binding-consumer.js';
export type { StunBindingConsumer, StunBindingConsumerOptions } from './stun/binding-consumer.js';
export { StunDeviceNotFoundError } from './stun/lookup.js';
export { createRegistryService } from './service.js';
export type { RegistryService, RegistryServiceDeps, RegistryServiceSettings, RegistryStarted } from './service.js';
