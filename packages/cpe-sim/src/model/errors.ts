export type ModelErrorCode = 'UNREADABLE' | 'BAD_CSV' | 'NO_ROOT' | 'UNKNOWN_PATH' | 'UNKNOWN_MODEL';

/** A model file or dump that cannot be turned into a data model. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
