import { ContractValidationError } from './errors.js';
import type { ParseResult, Parser } from './validation.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON-encodes a payload for the wire. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses JSON bytes without validating the shape; bad UTF-8 or bad JSON is a `ContractValidationError`. */
export function decodeJson(data: Uint8Array, contract = 'JSON payload'): ParseResult<unknown> {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch (cause) {
    return { ok: false, error: new ContractValidationError(contract, [{ path: [], message: 'payload is not UTF-8', code: 'invalid_utf8' }], { cause }) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (cause) {
    return { ok: false, error: new ContractValidationError(contract, [{ path: [], message: 'payload is not JSON', code: 'invalid_json' }], { cause }) };
  }
}

/** Decodes JSON bytes and validates them with one of the `parseX` functions. */
export function decodePayload<T>(data: Uint8Array, parse: Parser<T>, contract?: string): ParseResult<T> {
  const json = decodeJson(data, contract);
  return json.ok ? parse(json.value) : json;
}
