import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataDirError, ensureDataDir, loadOrCreateSecret } from './data-dir.js';

describe('data dir secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = ensureDataDir(join(mkdtempSync(join(tmpdir(), 'acs-app-')), 'nested', 'data'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directory owner-only', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('generates a 32-byte secret on first use, owner-readable only, and returns the same one afterwards', () => {
    const first = loadOrCreateSecret(dir, 'secret-key');
    expect(first.created).toBe(true);
    expect(Buffer.from(first.value, 'base64')).toHaveLength(32);
    expect(statSync(join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSecret(dir, 'secret-key');
    expect(second).toEqual({ value: first.value, created: false });
    expect(loadOrCreateSecret(dir, 'nonce-secret').value).not.toBe(first.value);
  });

  it('refuses a file that does not hold a secret of the right size, without overwriting it', () => {
    writeFileSync(join(dir, 'secret-key'), 'not base64 of 32 bytes\n');
    expect(() => loadOrCreateSecret(dir, 'secret-key')).toThrow(DataDirError);
    expect(readFileSync(join(dir, 'secret-key'), 'utf8')).toBe('not base64 of 32 bytes\n');
  });
});
