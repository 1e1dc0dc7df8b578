import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

// Which database drivers each package entry loads, seen from a fresh process: the main entry none, each adapter's
// entry its own. Both drivers are CommonJS, so whatever loaded them is in the require cache.
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const PROBE = `
import { createRequire } from 'node:module';
await import(process.argv[1]);
const loaded = Object.keys(createRequire(process.cwd() + '/').cache);
const drivers = ['mongoose', 'better-sqlite3'].filter((name) => loaded.some((path) => path.includes('/node_modules/' + name + '/')));
process.stdout.write(JSON.stringify(drivers));
`;

async function driversLoadedBy(entry: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE, entry], { cwd: pkgDir });
  return JSON.parse(stdout) as string[];
}

describe('package entries', () => {
  it('the main entry loads no database driver', async () => {
    expect(await driversLoadedBy('./src/index.ts')).toEqual([]);
  });

  it('each adapter entry loads only its own driver', async () => {
    expect(await driversLoadedBy('./src/mongo.ts')).toEqual(['mongoose']);
    expect(await driversLoadedBy('./src/sqlite.ts')).toEqual(['better-sqlite3']);
  });
});
