import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { defineConfig, loadConfig } from './load-config.js';
import { boolVar, durationVar, enumVar, intVar, listVar, portVar, secretVar, stringVar, urlVar } from './vars.js';

const dir = mkdtempSync(join(tmpdir(), 'acs-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const gatewayConfig = defineConfig({
  CWMP_PORT: portVar().default(7547),
  SESSION_TIMEOUT_MS: durationVar({ min: 1_000 }).default(30_000),
  CWMP_TLS: boolVar().default(false),
  REDIS_URL: urlVar({ protocols: ['redis', 'rediss'] }),
  NATS_SERVERS: listVar(urlVar({ protocols: ['nats'] })).default(['nats://127.0.0.1:4222']),
  LOG_LEVEL: enumVar(['debug', 'info', 'warn', 'error']).default('info'),
  ACS_NBI_TOKEN: secretVar({ minLength: 16 }),
  ACS_ONBOARDING_PASSWORD: secretVar().optional(),
});

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  const minimal = { REDIS_URL: 'redis://127.0.0.1:6379', ACS_NBI_TOKEN: 'a-long-enough-token' };

  it('applies defaults and types every value', () => {
    expect(gatewayConfig.load(minimal)).toEqual({
      CWMP_PORT: 7547,
      SESSION_TIMEOUT_MS: 30_000,
      CWMP_TLS: false,
      REDIS_URL: 'redis://127.0.0.1:6379',
      NATS_SERVERS: ['nats://127.0.0.1:4222'],
      LOG_LEVEL: 'info',
      ACS_NBI_TOKEN: 'a-long-enough-token',
      ACS_ONBOARDING_PASSWORD: undefined,
    });
  });

  it('coerces ints, booleans, durations, lists and enums from strings', () => {
    const config = loadConfig(gatewayConfig, {
      ...minimal,
      CWMP_PORT: ' 8080 ',
      SESSION_TIMEOUT_MS: '1.5m',
      CWMP_TLS: 'TRUE',
      NATS_SERVERS: 'nats://10.0.0.1:4222, ,nats://10.0.0.2:4222',
      LOG_LEVEL: 'debug',
    });
    // The output is typed from the schema (a type error here would fail the typecheck).
    const typed: { CWMP_PORT: number; CWMP_TLS: boolean; LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error'; NATS_SERVERS: string[] } = config;
    expect(typed.CWMP_PORT).toBe(8080);
    expect(config.SESSION_TIMEOUT_MS).toBe(90_000);
    expect(config.CWMP_TLS).toBe(true);
    expect(config.NATS_SERVERS).toEqual(['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']);
    expect(config.LOG_LEVEL).toBe('debug');
  });

  it('treats an empty variable as unset, so the default applies', () => {
    expect(gatewayConfig.load({ ...minimal, CWMP_PORT: '', CWMP_TLS: '' })).toMatchObject({ CWMP_PORT: 7547, CWMP_TLS: false });
  });

  it('names EVERY bad variable and why, with the value received', () => {
    const error = errorOf(() =>
      gatewayConfig.load({ CWMP_PORT: 'abc', SESSION_TIMEOUT_MS: '10', CWMP_TLS: 'yes', REDIS_URL: 'http://x', NATS_SERVERS: 'nats://a:1,foo', LOG_LEVEL: 'loud' }),
    );
    expect(error).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
    expect(error.issues).toEqual([
      { variable: 'CWMP_PORT', message: 'expected an integer 1-65535, got "abc"' },
      { variable: 'SESSION_TIMEOUT_MS', message: expect.stringMatching(/^expected a duration in ms >= 1000 .*, got "10"$/) },
      { variable: 'CWMP_TLS', message: 'expected true, false, 1 or 0, got "yes"' },
      { variable: 'REDIS_URL', message: 'expected a URL (redis://, rediss://), got "http://x"' },
      { variable: 'NATS_SERVERS', message: expect.stringContaining('item 2 ("foo"): expected a URL (nats://)') },
      { variable: 'LOG_LEVEL', message: 'expected one of debug, info, warn, error, got "loud"' },
      { variable: 'ACS_NBI_TOKEN', message: 'required but not set (set ACS_NBI_TOKEN or ACS_NBI_TOKEN_FILE)' },
    ]);
    expect(error.message).toContain('CWMP_PORT: expected an integer 1-65535, got "abc"');
    expect(error.message).toMatch(/^invalid configuration \(7 variables\)/);
  });

  it('rejects out-of-range and non-integer numbers', () => {
    const schema = defineConfig({ N: intVar({ min: 0, max: 10 }) });
    for (const bad of ['11', '-1', '1.5', '1e3', '0x10', '']) {
      expect(errorOf(() => schema.load({ N: bad })).issues[0]?.variable).toBe('N');
    }
    expect(schema.load({ N: '+7' }).N).toBe(7);
  });

  it('reads every duration unit as milliseconds', () => {
    const schema = defineConfig({ T_MS: durationVar() });
    const cases: Array<[string, number]> = [['250', 250], ['250ms', 250], ['2s', 2_000], ['5m', 300_000], ['1h', 3_600_000], ['1d', 86_400_000]];
    for (const [raw, ms] of cases) expect(schema.load({ T_MS: raw }).T_MS).toBe(ms);
    for (const bad of ['1.5', '10 s', 's', '-1s']) expect(() => schema.load({ T_MS: bad })).toThrow(ConfigError);
  });

  it('never prints a secret value, even when it is invalid', () => {
    const error = errorOf(() => gatewayConfig.load({ ...minimal, ACS_NBI_TOKEN: 'short-secret', ACS_ONBOARDING_PASSWORD: undefined }));
    expect(error.issues).toEqual([{ variable: 'ACS_NBI_TOKEN', message: 'expected at least 16 characters (value hidden)' }]);
    expect(error.message).not.toContain('short-secret');
  });

  it('reads a secret from NAME_FILE, dropping one trailing newline', () => {
    const path = secretFile('token', 'token-from-a-k8s-secret\n');
    const config = gatewayConfig.load({ REDIS_URL: 'redis://r:6379', ACS_NBI_TOKEN_FILE: path, ACS_ONBOARDING_PASSWORD_FILE: secretFile('pw', ' pw ') });
    expect(config.ACS_NBI_TOKEN).toBe('token-from-a-k8s-secret');
    expect(config.ACS_ONBOARDING_PASSWORD).toBe(' pw ');
  });

  it('reports an unreadable or empty secret file, and both NAME and NAME_FILE set', () => {
    const missing = join(dir, 'nope');
    const error = errorOf(() =>
      gatewayConfig.load({ REDIS_URL: 'redis://r:6379', ACS_NBI_TOKEN_FILE: missing, ACS_ONBOARDING_PASSWORD: 'x', ACS_ONBOARDING_PASSWORD_FILE: secretFile('empty', '') }),
    );
    expect(error.issues).toEqual([
      { variable: 'ACS_NBI_TOKEN_FILE', message: `cannot read ${JSON.stringify(missing)} (ENOENT)` },
      { variable: 'ACS_ONBOARDING_PASSWORD', message: 'set either ACS_ONBOARDING_PASSWORD or ACS_ONBOARDING_PASSWORD_FILE, not both' },
    ]);
    expect(errorOf(() => gatewayConfig.load({ REDIS_URL: 'redis://r:6379', ACS_NBI_TOKEN_FILE: secretFile('empty2', '\n') })).issues).toEqual([
      { variable: 'ACS_NBI_TOKEN_FILE', message: expect.stringMatching(/is empty$/) },
    ]);
  });

  it('ignores NAME_FILE for variables that are not secrets', () => {
    const schema = defineConfig({ NAME: stringVar().default('d') });
    expect(schema.load({ NAME_FILE: secretFile('not-used', 'x') }).NAME).toBe('d');
  });

  it('accepts plain zod schemas over strings too, naming the variable in their errors', () => {
    const schema = z.object({ REGION: z.string().regex(/^[a-z]+-\d$/, 'expected a region like eu-1') });
    expect(loadConfig(schema, { REGION: 'eu-1' })).toEqual({ REGION: 'eu-1' });
    expect(errorOf(() => loadConfig(schema, { REGION: 'EU' })).issues).toEqual([{ variable: 'REGION', message: 'expected a region like eu-1, got "EU"' }]);
  });

  it('lists the variables a definition reads, and reads process.env only when asked', () => {
    expect(defineConfig({ A: stringVar(), B: portVar() }).variables).toEqual(['A', 'B']);
    expect(defineConfig(z.object({ C: boolVar() })).load({ C: '1' })).toEqual({ C: true });
    const key = `ACS_CONFIG_TEST_${process.pid}`;
    const schema = defineConfig({ [key]: stringVar() });
    process.env[key] = 'from-process-env';
    try {
      expect(schema.load()[key]).toBe('from-process-env');
    } finally {
      delete process.env[key];
    }
  });
});
