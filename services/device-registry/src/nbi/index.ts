export { createNbi, nbiRoutes } from './create-nbi.js';
export type { NbiDeps } from './context.js';
export { buildOpenApiDocument, API_PREFIX, NBI_API_VERSION } from './openapi.js';
export type { OpenApiDocument } from './openapi.js';
export {
  NbiError,
  NbiBadRequestError,
  NbiUnauthorizedError,
  NbiForbiddenError,
  NbiNotFoundError,
  NbiConflictError,
  NbiValidationError,
  NbiUnavailableError,
  NbiPayloadTooLargeError,
  NbiUnsupportedMediaTypeError,
} from './errors.js';
export type { NbiErrorCode, NbiIssue, ErrorBody } from './errors.js';
export {
  MemoryTokenStore,
  FileTokenStore,
  TokenFileError,
  createMemoryTokenStore,
  createFileTokenStore,
  ensureAdminToken,
  hashToken,
  NBI_ROLES,
  TOKEN_FILE_NAME,
} from './tokens.js';
export type { TokenStore, TokenInfo, IssuedToken, NbiRole } from './tokens.js';
