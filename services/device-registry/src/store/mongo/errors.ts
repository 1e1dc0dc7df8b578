import { StoreConflictError, StoreUnavailableError } from '../device-store.js';
import { isFerretDbUniqueViolation } from './ferretdb-workarounds.js';

// Driver errors that mean "no server to talk to": retrying later may succeed.
const UNAVAILABLE = new Set(['MongooseServerSelectionError', 'MongoNetworkError', 'MongoServerSelectionError', 'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoNetworkTimeoutError']);

export function isUnavailable(err: unknown): err is Error {
  return err instanceof Error && UNAVAILABLE.has(err.name);
}

export function unavailable(err: Error): StoreUnavailableError {
  return new StoreUnavailableError(`MongoDB unavailable: ${err.message}`, { cause: err });
}

/** Runs one store operation, reporting a lost server as StoreUnavailableError; any other failure as it is. */
export async function mongoOp<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isUnavailable(err) ? unavailable(err) : err;
  }
}

export function isDuplicateKey(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  return ('code' in err && err.code === 11000) || isFerretDbUniqueViolation(err);
}

/** `write`, with a unique-index violation reported as StoreConflictError on `entity` `key`. */
export async function conflictOnDuplicate<T>(entity: string, key: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateKey(err)) throw new StoreConflictError(entity, key, { cause: err });
    throw err;
  }
}
