/** One bad variable: its name and why, never its value when it is a secret. */
export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

/** The environment does not satisfy the schema; names EVERY bad variable, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration (${issues.length} variable${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`, options);
  }
}
