import { ERROR_CODES, type ErrorCode, type ErrorReply } from '@acs/contracts';

export type RegistryErrorCode = ErrorCode | 'INVALID_REPLY';

// Worth a CPE retry (503 + Retry-After): the registry is slow, absent, restarting or failed internally.
const RETRYABLE: ReadonlySet<RegistryErrorCode> = new Set<RegistryErrorCode>([
  ERROR_CODES.TIMEOUT,
  ERROR_CODES.NO_RESPONDERS,
  ERROR_CODES.UNAVAILABLE,
  ERROR_CODES.INTERNAL,
]);

/** A registry call failed: no reply, an error reply, or a reply that breaks the contract. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  /** The registry endpoint (subject) that was called. */
  readonly subject: string;

  constructor(code: RegistryErrorCode, subject: string, message: string, options?: { cause?: unknown }) {
    super(`${subject}: ${message}`, options);
    this.code = code;
    this.subject = subject;
  }

  /** True when the CPE should simply try again later. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  static fromReply(subject: string, reply: ErrorReply): RegistryError {
    return new RegistryError(reply.error.code, subject, reply.error.message);
  }

  /** A transport failure of the request itself (bus timeout, nobody listening, bus closed or down). */
  static fromTransport(subject: string, cause: unknown): RegistryError {
    const code = (cause as { code?: unknown } | null)?.code;
    const mapped: RegistryErrorCode = code === 'TIMEOUT' ? 'TIMEOUT' : code === 'NO_RESPONDERS' ? 'NO_RESPONDERS' : 'UNAVAILABLE';
    const message = cause instanceof Error ? cause.message : String(cause);
    return new RegistryError(mapped, subject, message, { cause });
  }
}
