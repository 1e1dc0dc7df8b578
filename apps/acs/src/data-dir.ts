import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A data-dir file that exists but cannot be used as the secret it should hold. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  readonly code = 'DATA_DIR_INVALID';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** Creates the data dir (owner-only) if needed and returns its path. */
export function ensureDataDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Reads a secret kept in the data dir, or generates `bytes` random bytes (base64) and keeps them there.
 * The file is created exclusively (`wx`), so two processes started at once on one dir agree on one
 * secret instead of each overwriting the other's.
 */
export function loadOrCreateSecret(dir: string, name: string, bytes = 32): { value: string; created: boolean } {
  const file = join(dir, name);
  const read = (): string | undefined => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DataDirError(file, 'cannot be read', { cause: err });
    }
  };
  const existing = read();
  if (existing !== undefined) {
    if (Buffer.from(existing, 'base64').length !== bytes) throw new DataDirError(file, `expected ${bytes} bytes of base64`);
    return { value: existing, created: false };
  }
  const value = randomBytes(bytes).toString('base64');
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(file, 'cannot be written', { cause: err });
    // Another process won the race: use its secret.
    return loadOrCreateSecret(dir, name, bytes);
  }
  return { value, created: true };
}
