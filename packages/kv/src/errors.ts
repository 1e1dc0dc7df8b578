export type KvErrorCode = 'KV_UNAVAILABLE' | 'KV_DATA' | 'KV_COMMAND';

/** Base class of every error the kv adapters throw on purpose. */
export abstract class KvError extends Error {
  abstract readonly code: KvErrorCode;
}

/**
 * The backing server could not be reached (down, restarting, connection lost, timed out).
 * The outcome of a write that fails this way is unknown: it may still reach the server later.
 */
export class KvUnavailableError extends KvError {
  override readonly name = 'KvUnavailableError';
  readonly code = 'KV_UNAVAILABLE';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`kv ${operation} failed: the store is unavailable${describeCause(options?.cause)}`, options);
  }
}

/** A value could not be encoded to JSON, or what is stored is not valid JSON. */
export class KvDataError extends KvError {
  override readonly name = 'KvDataError';
  readonly code = 'KV_DATA';
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`kv key "${key}": ${message}`, options);
  }
}

/** The server answered a command with an error (a bug or a misconfigured server, not an outage). */
export class KvCommandError extends KvError {
  override readonly name = 'KvCommandError';
  readonly code = 'KV_COMMAND';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`kv ${operation} failed: the server refused the command${describeCause(options?.cause)}`, options);
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? ` (${cause.message})` : '';
}
