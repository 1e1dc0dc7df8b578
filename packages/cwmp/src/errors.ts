/** Why a CWMP message could not be decoded. */
export type CwmpParseErrorCode =
  | 'TOO_LARGE'
  | 'DOCTYPE_FORBIDDEN'
  | 'MALFORMED_XML'
  /** Legal XML over the parser's limits (elements, attributes per element, depth). */
  | 'XML_LIMIT'
  | 'NOT_SOAP'
  | 'NO_BODY'
  | 'UNKNOWN_METHOD'
  | 'INVALID_ARGUMENT';

export interface CwmpParseErrorDetails {
  /** Local name of the body element, when it was reached. */
  method?: string;
  /** cwmp:ID of the envelope, when the header could be read (so a fault can echo it). */
  id?: string;
  cause?: unknown;
}

/** The only error `decode()` throws. */
export class CwmpParseError extends Error {
  override readonly name = 'CwmpParseError';
  readonly code: CwmpParseErrorCode;
  readonly method?: string;
  readonly id?: string;

  constructor(code: CwmpParseErrorCode, message: string, details: CwmpParseErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.method !== undefined) this.method = details.method;
    if (details.id !== undefined) this.id = details.id;
  }
}

export type CwmpEncodeErrorCode = 'INVALID_CHARACTER' | 'INVALID_VALUE';

/** `encode()` was handed something XML cannot carry (e.g. a U+0001 in a value). */
export class CwmpEncodeError extends Error {
  override readonly name = 'CwmpEncodeError';
  readonly code: CwmpEncodeErrorCode;

  constructor(code: CwmpEncodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A parameter value whose lexical form does not match its xsd type. */
export class CwmpValueError extends Error {
  override readonly name = 'CwmpValueError';
  readonly code = 'INVALID_VALUE' as const;
  readonly type: string;
  readonly value: string;

  constructor(type: string, value: string, message?: string) {
    super(message ?? `invalid xsd:${type} value ${JSON.stringify(value.slice(0, 64))}`);
    this.type = type;
    this.value = value;
  }
}
