import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TOKEN_FILE_NAME, TokenFileError, createFileTokenStore, createMemoryTokenStore, ensureAdminToken, hashToken, matchesEnvToken } from './tokens.js';
import type { TokenStore } from './tokens.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'acs-nbi-tokens-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stores: [string, () => TokenStore][] = [
  ['MemoryTokenStore', () => createMemoryTokenStore({ clock: () => 7 })],
  ['FileTokenStore', () => createFileTokenStore({ dir, clock: () => 7 })],
];

describe.each(stores)('%s', (_name, make) => {
  it('verifies the tokens it issued, with their role, and nothing else', async () => {
    const tokens = make();
    const admin = await tokens.create('admin');
    const read = await tokens.create('read');
    expect(admin.token).toMatch(/^acs_[A-Za-z0-9_-]{43}$/);
    expect(admin.token).not.toBe(read.token);
    expect(await tokens.verify(admin.token)).toEqual({ id: admin.id, role: 'admin', createdAt: 7 });
    expect(await tokens.verify(read.token)).toEqual({ id: read.id, role: 'read', createdAt: 7 });
    expect(await tokens.verify(`${admin.token}x`)).toBeNull();
    expect(await tokens.verify('')).toBeNull();
    expect(await tokens.verify(hashToken(admin.token))).toBeNull();
  });

  it('lists ids and roles only, and revokes by id', async () => {
    const tokens = make();
    const a = await tokens.create('admin');
    const b = await tokens.create('read');
    const listed = await tokens.list();
    expect(listed.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    expect(JSON.stringify(listed)).not.toContain(a.token);
    expect(await tokens.revoke(a.id)).toBe(true);
    expect(await tokens.verify(a.token)).toBeNull();
    expect(await tokens.verify(b.token)).not.toBeNull();
    expect(await tokens.revoke(a.id)).toBe(false);
  });
});

describe('FileTokenStore', () => {
  it('keeps only SHA-256 hashes, in a 0600 file another instance reads back', async () => {
    const first = createFileTokenStore({ dir });
    const issued = await first.create('admin');
    const text = await readFile(join(dir, TOKEN_FILE_NAME), 'utf8');
    expect(text).not.toContain(issued.token);
    expect(text).toContain(hashToken(issued.token));
    expect((await stat(join(dir, TOKEN_FILE_NAME))).mode & 0o777).toBe(0o600);
    const second = createFileTokenStore({ dir });
    expect(await second.verify(issued.token)).toMatchObject({ id: issued.id, role: 'admin' });
  });

  it('creates its directory, and survives quick successive writes', async () => {
    const nested = join(dir, 'a', 'b');
    const tokens = createFileTokenStore({ dir: nested });
    const issued = await Promise.all(Array.from({ length: 5 }, () => tokens.create('read')));
    const reread = createFileTokenStore({ dir: nested });
    for (const t of issued) expect(await reread.verify(t.token)).not.toBeNull();
  });

  it('refuses a file it did not write instead of overwriting it', async () => {
    const file = join(dir, TOKEN_FILE_NAME);
    for (const content of ['not json', '{"tokens": 3}', '{"tokens": [{"id": "x", "role": "god", "hash": "00", "createdAt": 1}]}']) {
      await writeFile(file, content);
      const tokens = createFileTokenStore({ dir });
      await expect(tokens.verify('acs_x')).rejects.toBeInstanceOf(TokenFileError);
      await expect(tokens.create('admin')).rejects.toMatchObject({ name: 'TokenFileError', code: 'TOKEN_FILE' });
      expect(await readFile(file, 'utf8')).toBe(content);
    }
  });
});

describe('ensureAdminToken', () => {
  it('creates and returns one admin token when there is none and no env token', async () => {
    const tokens = createMemoryTokenStore();
    const first = await ensureAdminToken(tokens);
    expect(first.created).toBe(true);
    expect(await tokens.verify(first.token as string)).toMatchObject({ role: 'admin' });
    expect(await ensureAdminToken(tokens)).toEqual({ created: false });
    expect(await tokens.list()).toHaveLength(1);
  });

  it('does nothing when ACS_NBI_TOKEN is set, and does not count read tokens as admin ones', async () => {
    const tokens = createMemoryTokenStore();
    expect(await ensureAdminToken(tokens, 'from-the-environment-123')).toEqual({ created: false });
    expect(await tokens.list()).toEqual([]);
    await tokens.create('read');
    expect((await ensureAdminToken(tokens)).created).toBe(true);
  });

  it('keeps the token across restarts with a FileTokenStore', async () => {
    expect((await ensureAdminToken(createFileTokenStore({ dir }))).created).toBe(true);
    expect((await ensureAdminToken(createFileTokenStore({ dir }))).created).toBe(false);
  });
});

describe('matchesEnvToken', () => {
  it('matches the exact value only, and never an unset or empty one', () => {
    expect(matchesEnvToken('s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(matchesEnvToken('s3cret-token-valu', 's3cret-token-value')).toBe(false);
    expect(matchesEnvToken('s3cret-token-value ', 's3cret-token-value')).toBe(false);
    expect(matchesEnvToken('', '')).toBe(false);
    expect(matchesEnvToken('anything', undefined)).toBe(false);
  });
});
