/** One problem found in a request; `in` says where (`body`, `query`, `path`), `path` points into it. */
export interface NbiIssue {
  in: 'body' | 'query' | 'path';
  path: (string | number)[];
  message: string;
  code: string;
}

/** Machine-readable codes of NBI error bodies; they extend @acs/contracts ERROR_CODES with HTTP-only ones. */
export type NbiErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_PAYLOAD'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** Base of every failure the NBI answers with a 4xx/5xx JSON body `{ error: { code, message, details? } }`. */
export abstract class NbiError extends Error {
  abstract readonly status: number;
  abstract readonly code: NbiErrorCode;
  readonly details: unknown;
  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options);
    this.details = options?.details;
  }
}

/** The request cannot be read at all: malformed JSON, a path segment that is not valid percent-encoding. */
export class NbiBadRequestError extends NbiError {
  override readonly name = 'NbiBadRequestError';
  readonly status = 400;
  readonly code = 'BAD_REQUEST' as const;
}

/** The body is larger than the NBI accepts. */
export class NbiPayloadTooLargeError extends NbiError {
  override readonly name = 'NbiPayloadTooLargeError';
  readonly status = 413;
  readonly code = 'PAYLOAD_TOO_LARGE' as const;
}

/** The body's charset or encoding is not one the JSON parser reads. */
export class NbiUnsupportedMediaTypeError extends NbiError {
  override readonly name = 'NbiUnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'UNSUPPORTED_MEDIA_TYPE' as const;
}

/** No bearer token, or one nobody issued. */
export class NbiUnauthorizedError extends NbiError {
  override readonly name = 'NbiUnauthorizedError';
  readonly status = 401;
  readonly code = 'UNAUTHORIZED' as const;
}

/** A valid token whose role does not allow the operation (a `read` token writing). */
export class NbiForbiddenError extends NbiError {
  override readonly name = 'NbiForbiddenError';
  readonly status = 403;
  readonly code = 'FORBIDDEN' as const;
}

export class NbiNotFoundError extends NbiError {
  override readonly name = 'NbiNotFoundError';
  readonly status = 404;
  readonly code = 'NOT_FOUND' as const;
  constructor(
    readonly entity: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`${entity} ${JSON.stringify(key)} not found`, options);
  }
}

/** The request clashes with the current state: a taken name, a task that already finished. */
export class NbiConflictError extends NbiError {
  override readonly name = 'NbiConflictError';
  readonly status = 409;
  readonly code = 'CONFLICT' as const;
}

/** Well-formed JSON (or query) that violates the schema; `details.issues` lists every problem. */
export class NbiValidationError extends NbiError {
  override readonly name = 'NbiValidationError';
  readonly status = 422;
  readonly code = 'INVALID_PAYLOAD' as const;
  readonly issues: NbiIssue[];
  constructor(issues: NbiIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const where = first ? `${first.in}${first.path.length > 0 ? `.${first.path.join('.')}` : ''}: ${first.message}` : 'invalid request';
    super(`invalid request (${where})`, { ...options, details: { issues } });
    this.issues = issues;
  }
}

/** A dependency (store, bus) is down; retrying later may succeed. */
export class NbiUnavailableError extends NbiError {
  override readonly name = 'NbiUnavailableError';
  readonly status = 503;
  readonly code = 'UNAVAILABLE' as const;
}

export interface ErrorBody {
  error: { code: NbiErrorCode; message: string; details?: unknown };
}

export function errorBody(code: NbiErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
