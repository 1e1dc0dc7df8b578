/** A request got no reply within its `timeoutMs` (or a durable publish was not confirmed in time). */
export class BusTimeoutError extends Error {
  override readonly name = 'BusTimeoutError';
  readonly code = 'TIMEOUT' as const;
  readonly subject: string;
  readonly timeoutMs: number;

  constructor(subject: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`no reply on ${subject} within ${timeoutMs} ms`, options);
    this.subject = subject;
    this.timeoutMs = timeoutMs;
  }
}

/** A request was sent to a subject nobody listens on. */
export class NoRespondersError extends Error {
  override readonly name = 'NoRespondersError';
  readonly code = 'NO_RESPONDERS' as const;
  readonly subject: string;

  constructor(subject: string, options?: { cause?: unknown }) {
    super(`no responders on ${subject}`, options);
    this.subject = subject;
  }
}

/** The bus was closed (or is draining) and cannot take this operation. */
export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  readonly code = 'CLOSED' as const;

  constructor(options?: { cause?: unknown }) {
    super('bus is closed', options);
  }
}

/** A durable operation named a stream that does not exist, or a subject no stream captures. */
export class StreamNotFoundError extends Error {
  override readonly name = 'StreamNotFoundError';
  readonly code = 'STREAM_NOT_FOUND' as const;
  readonly target: string;

  constructor(target: string, options?: { cause?: unknown }) {
    super(`no stream for ${target}`, options);
    this.target = target;
  }
}

/** A stream or consumer configuration was refused (overlapping subjects, conflicting work-queue consumers). */
export class BusConfigError extends Error {
  override readonly name = 'BusConfigError';
  readonly code = 'INVALID_CONFIG' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server or transport failed in a way the caller may retry (disconnected, server error). */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  readonly code = 'UNAVAILABLE' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A subject or pattern is not valid NATS syntax (empty token, wildcard in a publish subject, whitespace). */
export class InvalidSubjectError extends Error {
  override readonly name = 'InvalidSubjectError';
  readonly code = 'INVALID_SUBJECT' as const;
  readonly subject: string;

  constructor(subject: string, options?: { cause?: unknown }) {
    super(`invalid subject ${JSON.stringify(subject)}`, options);
    this.subject = subject;
  }
}
