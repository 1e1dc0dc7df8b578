import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface PackageJson {
  name: string;
  workspaces?: string[];
  bin?: string | Record<string, string>;
}

const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

function workspaceDirs(): string[] {
  return (readPackage(ROOT).workspaces ?? []).flatMap((pattern) => {
    // Only `dir/*` is used today; anything else must fail here rather than be silently skipped.
    if (!pattern.endsWith('/*') || pattern.slice(0, -2).includes('*')) throw new Error(`unsupported workspace pattern ${pattern}`);
    const parent = join(ROOT, pattern.slice(0, -2));
    if (!existsSync(parent)) return [];
    return readdirSync(parent)
      .map((d) => join(parent, d))
      .filter((d) => existsSync(join(d, 'package.json')));
  });
}

function declaredBins(): { pkg: string; file: string }[] {
  return workspaceDirs().flatMap((dir) => {
    const { name, bin } = readPackage(dir);
    const targets = typeof bin === 'string' ? [bin] : Object.values(bin ?? {});
    return targets.map((t) => ({ pkg: name, file: join(dir, t) }));
  });
}

describe('the bins the workspaces declare', () => {
  it('exist and are executable by their owner', () => {
    const bins = declaredBins();
    // acs-sim at least: an empty list would make the check below vacuous.
    expect(bins.map((b) => b.pkg)).toContain('@acs/cpe-sim');
    const notExecutable = bins
      .filter((b) => !existsSync(b.file) || (statSync(b.file).mode & 0o100) === 0)
      .map((b) => `${b.pkg}: ${relative(ROOT, b.file)}`);
    expect(notExecutable).toEqual([]);
  });

  it('npx acs-sim --help works from the repository root, as the README says', async () => {
    const r = await run('npx', ['acs-sim', '--help'], {
      cwd: ROOT,
      timeout: 60_000,
      // Without the local link npx would fetch and run whatever the registry calls acs-sim.
      env: { ...process.env, npm_config_yes: 'false', npm_config_offline: 'true' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code?: unknown; stdout?: string; stderr?: string }) => ({ code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
    // One string, so that a failure shows npx's reason next to the exit code.
    expect(`exit ${String(r.code)}: ${r.stderr}`).toMatch(/^exit 0: /);
    expect(r.stdout).toMatch(/^Usage: acs-sim/m);
    expect(r.stdout).toContain('--acs-url');
  });
});
