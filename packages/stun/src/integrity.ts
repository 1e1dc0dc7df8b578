import { createHmac, timingSafeEqual } from 'node:crypto';
import { ATTR_FINGERPRINT, ATTR_MESSAGE_INTEGRITY, HEADER_LENGTH, INTEGRITY_LENGTH, rawAttributes } from './tr111.js';

/**
 * How MESSAGE-INTEGRITY's HMAC-SHA1 input is formed. Both take the message up to the attribute with the header's
 * length covering it; RFC 3489 (what TR-111 CPEs such as icwmp implement) then zero-pads the input to a multiple
 * of 64 bytes, RFC 5389 does not.
 */
export type IntegrityVariant = 'rfc3489' | 'rfc5389';

function hmacInput(prefix: Buffer, variant: IntegrityVariant): Buffer {
  const padded = variant === 'rfc3489' ? Math.ceil(prefix.length / 64) * 64 : prefix.length;
  const input = Buffer.alloc(padded);
  prefix.copy(input);
  input.writeUInt16BE(prefix.length - HEADER_LENGTH + INTEGRITY_LENGTH, 2);
  return input;
}

/** The 20-byte MESSAGE-INTEGRITY value for a message whose attributes so far are `prefix` (short-term key). */
export function messageIntegrity(prefix: Buffer, key: string | Buffer, variant: IntegrityVariant): Buffer {
  return createHmac('sha1', key).update(hmacInput(prefix, variant)).digest();
}

/** Appends MESSAGE-INTEGRITY to a complete message (no FINGERPRINT yet) and fixes the header's length. */
export function appendMessageIntegrity(message: Buffer, key: string | Buffer, variant: IntegrityVariant): Buffer {
  const attribute = Buffer.alloc(INTEGRITY_LENGTH);
  attribute.writeUInt16BE(ATTR_MESSAGE_INTEGRITY, 0);
  attribute.writeUInt16BE(INTEGRITY_LENGTH - 4, 2);
  messageIntegrity(message, key, variant).copy(attribute, 4);
  const out = Buffer.concat([message, attribute]);
  out.writeUInt16BE(out.length - HEADER_LENGTH, 2);
  return out;
}

/**
 * Which variant's integrity `message` carries for `key`, or `null` when it has none or neither matches (both are
 * tried, `prefer` first: TR-111 CPEs send RFC 3489 requests, generic clients RFC 5389 ones). Only a
 * FINGERPRINT may follow MESSAGE-INTEGRITY (RFC 5389 §15.4); anything else after it is not covered, so refused.
 */
export function verifyMessageIntegrity(message: Buffer, key: string | Buffer, prefer: IntegrityVariant = 'rfc5389'): IntegrityVariant | null {
  const attributes = rawAttributes(message);
  if (attributes === null) return null;
  const index = attributes.findIndex((a) => a.type === ATTR_MESSAGE_INTEGRITY);
  const mi = attributes[index];
  if (mi === undefined || mi.length !== INTEGRITY_LENGTH - 4) return null;
  if (attributes.slice(index + 1).some((a) => a.type !== ATTR_FINGERPRINT)) return null;
  const expected = message.subarray(mi.offset + 4, mi.offset + INTEGRITY_LENGTH);
  const prefix = message.subarray(0, mi.offset);
  // The variant the message's format suggests first: a wrong guess costs a second HMAC, not a refusal.
  for (const variant of prefer === 'rfc5389' ? (['rfc5389', 'rfc3489'] as const) : (['rfc3489', 'rfc5389'] as const)) {
    if (timingSafeEqual(messageIntegrity(prefix, key, variant), expected)) return variant;
  }
  return null;
}
