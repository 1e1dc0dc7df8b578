import type { z } from 'zod';
import { ContractValidationError, type ValidationIssue } from './errors.js';

/** An expected outcome of validating untrusted data: a typed value or a typed error, never a throw. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ContractValidationError };

export type Parser<T> = (data: unknown) => ParseResult<T>;

export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
    message: issue.message,
    code: issue.code,
  }));
}

/** Wraps a zod schema into a `parseX(data)` that returns a `ParseResult` named after the contract. */
export function createParser<S extends z.ZodType>(contract: string, schema: S): Parser<z.output<S>> {
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, value: result.data };
    return { ok: false, error: new ContractValidationError(contract, toIssues(result.error), { cause: result.error }) };
  };
}
