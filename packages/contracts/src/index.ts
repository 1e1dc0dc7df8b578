export {
  ERROR_CODES,
  ERROR_CODE_VALUES,
  isErrorCode,
  ContractValidationError,
  SubjectTokenError,
  SubjectPrefixError,
  DeviceIdError,
} from './errors.js';
export type { ErrorCode, ValidationIssue } from './errors.js';
export { TRACEPARENT_HEADER, TRACESTATE_HEADER, MSG_ID_HEADER, isTraceparent } from './trace.js';
export { deviceIdFromParts, deviceIdToParts } from './device-id.js';
export type { DeviceIdOptions, DeviceIdParts } from './device-id.js';
export { encodeSubjectToken, decodeSubjectToken } from './subject-token.js';
export {
  createSubjects,
  DEFAULT_SUBJECT_PREFIX,
  REGISTRY_SERVICE_NAME,
  QUEUE_GROUPS,
  DURABLE_CONSUMERS,
} from './subjects.js';
export type { Subjects, ParsedSubject, StreamDefinition, ConnreqTransport } from './subjects.js';
export { createParser } from './validation.js';
export type { ParseResult, Parser } from './validation.js';
export { encodeJson, decodeJson, decodePayload } from './codec.js';
export {
  CONNREQ_TRANSPORTS,
  CONNREQ_OUTCOMES,
  SESSION_OUTCOMES,
  REGISTRATION_SOURCES,
  ConnreqCredentialsSchema,
  PokeCommandSchema,
  ConnreqHttpCommandSchema,
  ConnreqXmppCommandSchema,
  ConnreqUdpCommandSchema,
  ConnreqEventSchema,
  DeviceIdStructSchema,
  InformEventCodeSchema,
  ParameterValueSchema,
  InformEventSchema,
  SessionStartedEventSchema,
  SessionRpcSchema,
  SessionEndedEventSchema,
  TaskDoneEventSchema,
  TaskFaultDetailSchema,
  TaskFaultEventSchema,
  DeviceRegisteredEventSchema,
  DeadLetterSchema,
  ErrorReplySchema,
  parsePokeCommand,
  parseConnreqHttpCommand,
  parseConnreqXmppCommand,
  parseConnreqUdpCommand,
  parseConnreqEvent,
  parseInformEvent,
  parseSessionStartedEvent,
  parseSessionEndedEvent,
  parseTaskDoneEvent,
  parseTaskFaultEvent,
  parseDeviceRegisteredEvent,
  parseDeadLetter,
  parseErrorReply,
} from './payloads.js';
export type {
  ConnreqCredentials,
  PokeCommand,
  ConnreqHttpCommand,
  ConnreqXmppCommand,
  ConnreqUdpCommand,
  ConnreqOutcome,
  ConnreqEvent,
  DeviceIdStruct,
  InformEventCode,
  ParameterValue,
  InformEvent,
  SessionStartedEvent,
  SessionOutcome,
  SessionRpc,
  SessionEndedEvent,
  TaskDoneEvent,
  TaskFaultDetail,
  TaskFaultEvent,
  RegistrationSource,
  DeviceRegisteredEvent,
  DeadLetter,
  ErrorReply,
} from './payloads.js';
