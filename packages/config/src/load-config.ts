import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';
import { isSecret } from './vars.js';

export type EnvShape = Record<string, z.ZodType<unknown, string | undefined>>;
export type Env = Readonly<Record<string, string | undefined>>;
export type ConfigOf<S extends EnvShape> = z.output<z.ZodObject<S>>;

/** A service's configuration: one zod schema over env variables, parsed only when `load` is called. */
export interface ConfigDefinition<S extends EnvShape> {
  readonly schema: z.ZodObject<S>;
  /** The variable names the schema reads (for docs and `--help`). */
  readonly variables: readonly string[];
  /** Validates `env` (default `process.env`); throws `ConfigError` naming every bad variable. */
  load(env?: Env): ConfigOf<S>;
}

/**
 * Declares a config schema keyed by env variable names. Declaring parses nothing: call
 * `load()` (or `loadConfig`) from the service's `main.ts`, so importing a module never reads the
 * environment.
 */
export function defineConfig<S extends EnvShape>(shapeOrSchema: S | z.ZodObject<S>): ConfigDefinition<S> {
  const schema = shapeOrSchema instanceof z.ZodObject ? shapeOrSchema : z.object(shapeOrSchema);
  return { schema, variables: Object.keys(schema.shape), load: (env = process.env) => loadConfig(schema, env) };
}

/**
 * Parses `env` against `schema`. An empty variable counts as unset (so `X=` in a compose file
 * falls back to the default). A secret may come from `NAME_FILE` instead of `NAME`.
 */
export function loadConfig<S extends EnvShape>(schema: z.ZodObject<S> | ConfigDefinition<S>, env: Env = process.env): ConfigOf<S> {
  const object = 'load' in schema ? schema.schema : schema;
  const input: Record<string, string | undefined> = {};
  const issues: ConfigIssue[] = [];
  const secretNames = new Set<string>();

  for (const [name, field] of Object.entries(object.shape)) {
    const value = nonEmpty(env[name]);
    if (!isSecret(field)) {
      input[name] = value;
      continue;
    }
    secretNames.add(name);
    const file = nonEmpty(env[`${name}_FILE`]);
    if (file !== undefined && value !== undefined) {
      issues.push({ variable: name, message: `set either ${name} or ${name}_FILE, not both` });
    } else if (file !== undefined) {
      const read = readSecretFile(file);
      if (typeof read === 'string') input[name] = read;
      else issues.push({ variable: `${name}_FILE`, message: read.error });
    } else {
      input[name] = value;
    }
  }

  const result = object.safeParse(input);
  if (!result.success) {
    const seen = new Set(issues.map((i) => i.variable.replace(/_FILE$/, '')));
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? '(config)');
      // One message per variable: the first is the useful one; a bad file was already reported.
      if (seen.has(name)) continue;
      seen.add(name);
      issues.push({ variable: name, message: explain(name, issue.message, input[name], secretNames.has(name)) });
    }
  }
  if (issues.length > 0) {
    const order = Object.keys(object.shape);
    const rank = (v: string) => order.indexOf(v.replace(/_FILE$/, ''));
    throw new ConfigError(issues.sort((a, b) => rank(a.variable) - rank(b.variable)));
  }
  return (result as { data: ConfigOf<S> }).data;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function explain(name: string, message: string, raw: string | undefined, secret: boolean): string {
  if (raw === undefined) return secret ? `required but not set (set ${name} or ${name}_FILE)` : 'required but not set';
  return secret ? `${message} (value hidden)` : `${message}, got ${JSON.stringify(raw)}`;
}

function readSecretFile(path: string): string | { error: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    return { error: `cannot read ${JSON.stringify(path)} (${code})` };
  }
  // Secret files are usually written with a trailing newline (echo, kubectl create secret --from-file).
  const value = text.replace(/\r?\n$/, '');
  return value === '' ? { error: `file ${JSON.stringify(path)} is empty` } : value;
}
