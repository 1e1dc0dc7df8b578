// The NBI's request and response shapes, as zod schemas: the router validates with them and the
// OpenAPI document is generated from them (openapi.ts), so the two cannot drift. They live by
// resource in schemas/; this module re-exports them and registers the named ones in document order.
import { ErrorBodySchema, HealthSchema } from './schemas/common.js';
import { CredentialCreateBody, CredentialListSchema, CredentialSchema } from './schemas/credentials.js';
import { DeviceTypeCreateBody, DeviceTypeListSchema, DeviceTypeSchema, DeviceTypeUpdateBody } from './schemas/device-types.js';
import { DevicePageSchema, DeviceSchema, ParameterSchema, PokeResultSchema, TagsBody } from './schemas/devices.js';
import { FaultPageSchema, FaultSchema } from './schemas/faults.js';
import { registerComponents } from './schemas/registry.js';
import { TaskCreateBody, TaskCreatedSchema, TaskPageSchema, TaskRequest, TaskSchema } from './schemas/tasks.js';
import { IssuedTokenSchema, TokenCreateBody, TokenListSchema, TokenSchema } from './schemas/tokens.js';

export { schemaDescriptions, schemaRegistry } from './schemas/registry.js';
export { deviceIdSchema, EmptyQuery, ErrorBodySchema, HealthSchema, pageQuery, xsdTypeSchema } from './schemas/common.js';
export { DeviceGetQuery, DeviceListQuery, DevicePageSchema, DeviceSchema, ParameterSchema, PokeQuery, PokeResultSchema, TagsBody, tagSchema } from './schemas/devices.js';
export {
  ConnectQuery,
  TASK_ARGS,
  TASK_STATUSES,
  TaskCreateBody,
  TaskCreatedSchema,
  taskExpiry,
  TaskListQuery,
  TaskPageSchema,
  TaskRequest,
  TaskSchema,
  timeInputSchema,
} from './schemas/tasks.js';
export type { TaskRequestInput } from './schemas/tasks.js';
export { FaultListQuery, FaultPageSchema, FaultSchema } from './schemas/faults.js';
export { CREDENTIAL_KINDS, CredentialCreateBody, CredentialListQuery, CredentialListSchema, CredentialSchema } from './schemas/credentials.js';
export { DeviceTypeCreateBody, DeviceTypeListSchema, DeviceTypeSchema, DeviceTypeUpdateBody } from './schemas/device-types.js';
export { IssuedTokenSchema, TokenCreateBody, TokenListSchema, TokenSchema } from './schemas/tokens.js';

// components.schemas, in this order: request bodies, then responses.
registerComponents([
  TaskRequest,
  TaskCreateBody,
  TagsBody,
  CredentialCreateBody,
  DeviceTypeCreateBody,
  DeviceTypeUpdateBody,
  TokenCreateBody,
  ErrorBodySchema,
  ParameterSchema,
  DeviceSchema,
  DevicePageSchema,
  TaskSchema,
  TaskPageSchema,
  TaskCreatedSchema,
  PokeResultSchema,
  FaultSchema,
  FaultPageSchema,
  CredentialSchema,
  CredentialListSchema,
  DeviceTypeSchema,
  DeviceTypeListSchema,
  TokenSchema,
  IssuedTokenSchema,
  TokenListSchema,
  HealthSchema,
]);
