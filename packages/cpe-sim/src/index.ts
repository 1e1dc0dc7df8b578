export { createCpe, retryWindowS, CPE_RPC_METHODS, DEFAULT_CWMP_NAMESPACE } from './cpe.js';
export type { Cpe, CpeOptions, CpeConnectionRequestOptions, CpeXmppOptions, AcsAuthMode, SessionResult } from './cpe.js';
export { createFleet, xmppUsernameFor } from './fleet.js';
export type { Fleet, FleetOptions, FleetModel, FleetRunOptions, FleetStats, FleetStunOptions, FleetStunStatus, FleetXmppOptions } from './fleet.js';
export { createHttpConnectionRequestEndpoint } from './connection-request.js';
export type {
  ConnectionRequestEndpoint,
  ConnectionRequestBehaviour,
  ConnectionRequestCredentials,
  HttpConnectionRequestOptions,
} from './connection-request.js';
export {
  SessionError,
  AcsAuthError,
  AcsUnavailableError,
  AcsHttpError,
  AcsUnreachableError,
  SessionTimeoutError,
  CwmpProtocolError,
  CpeStoppedError,
} from './errors.js';
export type { SessionErrorCode } from './errors.js';
export { createDataModel, canonicalPath, compareNames, defaultValue, expandObjects } from './model/data-model.js';
export type { DataModel, DataModelSpec, NodeInit, ParameterChange, ChangeSource } from './model/data-model.js';
export { bundledModelSpec, readModelFile, BUNDLED_MODELS } from './model/bundled.js';
export type { BundledModelName } from './model/bundled.js';
export { parseCsvModel, loadCsvModel, csvModelSpec } from './model/csv-loader.js';
export type { CsvModel } from './model/csv-loader.js';
export { ModelError } from './model/errors.js';
export type { ModelErrorCode } from './model/errors.js';
export type { ModelFile, ModelObject, ModelParameter } from './model/model-file.js';
export { fillTemplate, macForIndex, wanIpForIndex, TemplateError } from './model/templating.js';
export type { ModelContext } from './model/templating.js';
export { summarize, percentile } from './stats.js';
export type { SessionSummary } from './stats.js';
export { createXmppConnectionRequestEndpoint, CONNREQ_NS } from './xmpp-connection-request.js';
export type { XmppConnectionRequestEndpoint, XmppConnectionRequestOptions, XmppStatus } from './xmpp-connection-request.js';
export { provisionXmpp } from './xmpp-provisioning.js';
export type { XmppProvisioning } from './xmpp-provisioning.js';
export { createLoginSlots } from './login-slots.js';
export type { LoginSlots } from './login-slots.js';
export { isAllowedJabberId } from './jabber-id.js';
export { XmppError } from './errors.js';
export type { XmppErrorCode } from './errors.js';
export { createUdpConnectionRequestEndpoint, formatHostPort } from './udp-connection-request.js';
export type {
  UdpConnectionRequestEndpoint,
  UdpConnectionRequestOptions,
  UdpConnectionRequestSettings,
  UdpConnectionRequestStatus,
} from './udp-connection-request.js';
export { createStunClient } from './stun-client.js';
export type { StunClient, StunClientOptions } from './stun-client.js';
export { readStunConfig, keepAlivePeriodS, DEFAULT_STUN_PORT, DEFAULT_KEEP_ALIVE_S } from './stun-config.js';
export type { StunConfig, StunConfigState } from './stun-config.js';
export { newStunCounters, addStunCounters, UDP_CR_OUTCOMES } from './stun-counters.js';
export type { StunCounters, UdpConnectionRequestOutcome } from './stun-counters.js';
export { provisionStun } from './stun-provisioning.js';
export type { StunProvisioning } from './stun-provisioning.js';
export { STUN_PARAMETERS, withStunParameters } from './model/stun-parameters.js';
