import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The codec is pure: no I/O, no clocks it cannot be handed.
    files: ['packages/cwmp/src/**/*.ts'],
    ignores: ['packages/cwmp/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: ['node:http', 'node:https', 'node:net', 'node:dgram', 'node:fs', 'node:child_process', '@nats-io/*', 'ioredis', 'mongoose', 'http', 'https', 'net', 'fs'],
      }],
    },
  },
);
