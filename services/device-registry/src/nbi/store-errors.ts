import { StoreConflictError, StoreError, StoreNotFoundError, StoreUnavailableError, StoreValidationError } from '../store/device-store.js';
import type { NbiError } from './errors.js';
import { NbiConflictError, NbiNotFoundError, NbiUnavailableError, NbiValidationError } from './errors.js';

/** The NBI answer for a store failure; null for anything that is not a StoreError (a bug: 500). */
export function fromStoreError(err: unknown): NbiError | null {
  if (!(err instanceof StoreError)) return null;
  if (err instanceof StoreNotFoundError) return new NbiNotFoundError(err.entity, err.key, { cause: err });
  if (err instanceof StoreConflictError) return new NbiConflictError(err.message, { cause: err });
  if (err instanceof StoreValidationError) return new NbiValidationError([{ in: 'body', path: [], message: err.message, code: 'store' }], { cause: err });
  if (err instanceof StoreUnavailableError) return new NbiUnavailableError('the device store is unavailable', { cause: err });
  return null;
}
