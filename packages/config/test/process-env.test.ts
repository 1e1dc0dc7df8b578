import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

// What a service's main.ts does, in a real child process with a real environment.
const MAIN = `
import { defineConfig, portVar, secretVar, ConfigError } from ${JSON.stringify(entry)};
const config = defineConfig({ CWMP_PORT: portVar().default(7547), ACS_NBI_TOKEN: secretVar({ minLength: 16 }) });
console.log('imported');
try {
  console.log(JSON.stringify(config.load()));
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exitCode = 78;
}
`;

function runMain(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('a main.ts loading its config from process.env', () => {
  it('imports without reading the environment, then reports every bad variable without the secret', () => {
    const run = runMain({ CWMP_PORT: '99999', ACS_NBI_TOKEN: 'leaky' });
    expect(run.stdout).toContain('imported');
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('CWMP_PORT: expected an integer 1-65535, got "99999"');
    expect(run.stderr).toContain('ACS_NBI_TOKEN: expected at least 16 characters (value hidden)');
    expect(run.stderr).not.toContain('leaky');
  });

  it('starts with a valid environment', () => {
    const run = runMain({ CWMP_PORT: '7548', ACS_NBI_TOKEN: 'sixteen-chars-ok' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ CWMP_PORT: 7548, ACS_NBI_TOKEN: 'sixteen-chars-ok' });
  });
});
