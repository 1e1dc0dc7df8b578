import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const NBI_ROLES = ['admin', 'read'] as const;
/** `admin`: every operation; `read`: GET only. */
export type NbiRole = (typeof NBI_ROLES)[number];

export interface TokenInfo {
  id: string;
  role: NbiRole;
  /** Epoch ms; 0 for the env token. */
  createdAt: number;
}

export interface IssuedToken extends TokenInfo {
  /** The bearer token in clear: returned once by `create`, never stored. */
  token: string;
}

/**
 * Bearer tokens of the NBI. Only a hash of each token is kept, so a leaked store does not leak
 * tokens. `verify` resolves null for any token it did not issue (or one since revoked).
 */
export interface TokenStore {
  verify(token: string): Promise<TokenInfo | null>;
  create(role: NbiRole): Promise<IssuedToken>;
  list(): Promise<TokenInfo[]>;
  /** false: no such token. */
  revoke(id: string): Promise<boolean>;
}

/** The token file exists but is not one this module wrote. */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  readonly code = 'TOKEN_FILE';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

const TOKEN_PREFIX = 'acs_';
// 32 random bytes: brute force is hopeless, so a fast unsalted SHA-256 is a sound verifier.
const TOKEN_BYTES = 32;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

interface TokenRecord extends TokenInfo {
  hash: string;
}

const info = (r: TokenRecord): TokenInfo => ({ id: r.id, role: r.role, createdAt: r.createdAt });

abstract class HashedTokenStore implements TokenStore {
  protected abstract load(): Promise<Map<string, TokenRecord>>;
  protected abstract save(records: Map<string, TokenRecord>): Promise<void>;
  constructor(protected readonly clock: () => number) {}

  async verify(token: string): Promise<TokenInfo | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const record = (await this.load()).get(hashToken(token));
    return record ? info(record) : null;
  }

  async create(role: NbiRole): Promise<IssuedToken> {
    const records = await this.load();
    const token = newToken();
    const record: TokenRecord = { id: randomUUID(), role, createdAt: this.clock(), hash: hashToken(token) };
    records.set(record.hash, record);
    await this.save(records);
    return { ...info(record), token };
  }

  async list(): Promise<TokenInfo[]> {
    return [...(await this.load()).values()].map(info).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async revoke(id: string): Promise<boolean> {
    const records = await this.load();
    const entry = [...records.values()].find((r) => r.id === id);
    if (!entry) return false;
    records.delete(entry.hash);
    await this.save(records);
    return true;
  }
}

/** Tokens in memory: tests and throw-away embedded runs. */
export class MemoryTokenStore extends HashedTokenStore {
  private readonly records = new Map<string, TokenRecord>();
  protected async load() {
    return this.records;
  }
  protected async save() {}
}

export function createMemoryTokenStore(options: { clock?: () => number } = {}): MemoryTokenStore {
  return new MemoryTokenStore(options.clock ?? Date.now);
}

export const TOKEN_FILE_NAME = 'nbi-tokens.json';

/**
 * Token hashes in `<dir>/nbi-tokens.json` (mode 0600), for the all-in-one app. One process owns the
 * file: it is read once and rewritten whole (write to a temporary file, then rename) on each change.
 */
export class FileTokenStore extends HashedTokenStore {
  readonly file: string;
  private readonly dir: string;
  private records: Promise<Map<string, TokenRecord>> | null = null;
  private writes: Promise<void> = Promise.resolve();

  constructor(dir: string, clock: () => number) {
    super(clock);
    this.file = join(dir, TOKEN_FILE_NAME);
    this.dir = dir;
  }

  protected load(): Promise<Map<string, TokenRecord>> {
    this.records ??= this.read();
    // A failed read must be retried next time, not cached forever.
    this.records.catch(() => (this.records = null));
    return this.records;
  }

  private async read(): Promise<Map<string, TokenRecord>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new TokenFileError(this.file, 'cannot be read', { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new TokenFileError(this.file, 'is not JSON', { cause });
    }
    const list = (parsed as { tokens?: unknown } | null)?.tokens;
    if (!Array.isArray(list)) throw new TokenFileError(this.file, 'has no "tokens" array');
    const records = new Map<string, TokenRecord>();
    for (const r of list as Partial<TokenRecord>[]) {
      const ok =
        typeof r?.id === 'string' && typeof r.hash === 'string' && /^[0-9a-f]{64}$/.test(r.hash) && (NBI_ROLES as readonly unknown[]).includes(r.role) && typeof r.createdAt === 'number';
      if (!ok) throw new TokenFileError(this.file, 'holds a malformed token record');
      records.set(r.hash as string, { id: r.id as string, role: r.role as NbiRole, createdAt: r.createdAt as number, hash: r.hash as string });
    }
    return records;
  }

  protected save(records: Map<string, TokenRecord>): Promise<void> {
    const snapshot = JSON.stringify({ tokens: [...records.values()] }, null, 2);
    // Serialised so two quick changes cannot interleave their rename.
    const write = this.writes.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}

export function createFileTokenStore(options: { dir: string; clock?: () => number }): FileTokenStore {
  return new FileTokenStore(options.dir, options.clock ?? Date.now);
}

export const ENV_TOKEN_ID = 'env';

/** A check of a presented token against `ACS_NBI_TOKEN` in constant time (digests of equal length). */
export function matchesEnvToken(presented: string, envToken: string | undefined): boolean {
  if (envToken === undefined || envToken === '') return false;
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(envToken).digest());
}

/**
 * Token bootstrap at start: with `ACS_NBI_TOKEN` set, or an admin token already stored, nothing
 * happens; otherwise an admin token is created and returned so the caller can print it once.
 */
export async function ensureAdminToken(tokens: TokenStore, envToken?: string): Promise<{ token?: string; created: boolean }> {
  if (envToken !== undefined && envToken !== '') return { created: false };
  if ((await tokens.list()).some((t) => t.role === 'admin')) return { created: false };
  const issued = await tokens.create('admin');
  return { token: issued.token, created: true };
}
