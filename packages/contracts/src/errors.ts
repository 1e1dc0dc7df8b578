/**
 * Error codes shared by every request/reply endpoint and every rejected payload.
 * A reply carrying one of these is an expected outcome, not a crash.
 */
export const ERROR_CODES = {
  /** The payload did not match its schema (or was not JSON). */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** The thing asked for does not exist (device, task, credential). */
  NOT_FOUND: 'NOT_FOUND',
  /** Credentials were presented and are wrong, or belong to another device. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The request is well formed but not allowed in the current state. */
  FORBIDDEN: 'FORBIDDEN',
  /** A concurrent change won (optimistic locking, duplicate id). */
  CONFLICT: 'CONFLICT',
  /** The responder gave up or the caller's deadline passed. */
  TIMEOUT: 'TIMEOUT',
  /** Nobody is listening on the subject. */
  NO_RESPONDERS: 'NO_RESPONDERS',
  /** The responder is alive but cannot serve right now (shutting down, overloaded). */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A bug or infrastructure failure on the responder's side. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export const ERROR_CODE_VALUES = Object.values(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODE_VALUES as readonly string[]).includes(value);
}

/**
 * The code a thrown domain failure carries (unknown task, store conflict, store outage...) and keeps across the
 * registry boundary; undefined for anything else, which the caller reports as INTERNAL.
 */
export function domainErrorCode(err: unknown): Exclude<ErrorCode, 'INTERNAL'> | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return isErrorCode(code) && code !== 'INTERNAL' ? code : undefined;
}

/** One problem found while validating a payload; `path` points into the payload. */
export interface ValidationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

/** A payload failed validation at a boundary (bad JSON, wrong shape, out-of-range value). */
export class ContractValidationError extends Error {
  override readonly name = 'ContractValidationError';
  readonly code = ERROR_CODES.INVALID_PAYLOAD;
  /** Name of the contract being validated, e.g. `PokeCommand`. */
  readonly contract: string;
  readonly issues: readonly ValidationIssue[];

  constructor(contract: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    super(`invalid ${contract}${first ? `${where}: ${first.message}` : ''}`, options);
    this.contract = contract;
    this.issues = issues;
  }
}

/** A device id could not be turned into a subject token, or a token is not one we produced. */
export class SubjectTokenError extends Error {
  override readonly name = 'SubjectTokenError';
  readonly code = 'INVALID_SUBJECT_TOKEN' as const;
  readonly input: string;

  constructor(message: string, input: string, options?: { cause?: unknown }) {
    super(message, options);
    this.input = input;
  }
}

/** A subject prefix is not a valid sequence of NATS tokens. */
export class SubjectPrefixError extends Error {
  override readonly name = 'SubjectPrefixError';
  readonly code = 'INVALID_SUBJECT_PREFIX' as const;
  readonly prefix: string;

  constructor(prefix: string) {
    super(`invalid subject prefix ${JSON.stringify(prefix)}: use dot-separated tokens of [A-Za-z0-9_-]`);
    this.prefix = prefix;
  }
}

/** A device id string is not in the canonical `OUI-ProductClass-Serial` form. */
export class DeviceIdError extends Error {
  override readonly name = 'DeviceIdError';
  readonly code = 'INVALID_DEVICE_ID' as const;
  readonly deviceId: string;

  constructor(message: string, deviceId: string, options?: { cause?: unknown }) {
    super(message, options);
    this.deviceId = deviceId;
  }
}
