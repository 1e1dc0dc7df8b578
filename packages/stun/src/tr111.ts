/** TR-111 Part 2 attributes (type codes as in icwmp's stun.h; ≥ 0x8000, so generic STUN servers ignore them). */
export const ATTR_CONNECTION_REQUEST_BINDING = 0xc001;
export const ATTR_BINDING_CHANGE = 0xc002;
/** CONNECTION-REQUEST-BINDING's value: 20 ASCII bytes with the trailing space. */
export const CONNECTION_REQUEST_BINDING_VALUE = Buffer.from('dslforum.org/TR-111 ', 'ascii');

/** RFC 5389 attribute types the TR-111 parts read from raw bytes. */
export const ATTR_MESSAGE_INTEGRITY = 0x0008;
export const ATTR_ERROR_CODE = 0x0009;
export const ATTR_FINGERPRINT = 0x8028;

export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_LENGTH = 20;
export const INTEGRITY_LENGTH = 24;

export const BINDING_REQUEST = 0x0001;
export const BINDING_RESPONSE = 0x0101;
export const BINDING_ERROR_RESPONSE = 0x0111;

/** One TLV of a raw message: where its value starts and how long it is. */
export interface RawAttribute {
  readonly type: number;
  /** Offset of the attribute's 4-byte header in the message. */
  readonly offset: number;
  readonly length: number;
}

/**
 * The attributes of a raw message, in order, or `null` when the TLVs do not add up to the header's length. The
 * codec library decodes values; this walk is for what it hides: offsets (MESSAGE-INTEGRITY is computed over the
 * bytes before it) and the TR-111 types it does not know.
 */
export function rawAttributes(message: Buffer): RawAttribute[] | null {
  if (message.length < HEADER_LENGTH) return null;
  const end = HEADER_LENGTH + message.readUInt16BE(2);
  if (end > message.length) return null;
  const out: RawAttribute[] = [];
  let pos = HEADER_LENGTH;
  while (pos + 4 <= end) {
    const length = message.readUInt16BE(pos + 2);
    if (pos + 4 + length > end) return null;
    out.push({ type: message.readUInt16BE(pos), offset: pos, length });
    pos += 4 + length + ((4 - (length % 4)) % 4);
  }
  return pos === end || pos - end < 4 ? out : null;
}
