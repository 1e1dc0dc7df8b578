import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import stun from 'stun';
import { appendMessageIntegrity, type IntegrityVariant } from './integrity.js';
import {
  ATTR_BINDING_CHANGE,
  ATTR_CONNECTION_REQUEST_BINDING,
  ATTR_ERROR_CODE,
  ATTR_MESSAGE_INTEGRITY,
  BINDING_ERROR_RESPONSE,
  BINDING_REQUEST,
  BINDING_RESPONSE,
  CONNECTION_REQUEST_BINDING_VALUE,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  rawAttributes,
} from './tr111.js';

const { constants } = stun;
const ATTR_USERNAME = constants.STUN_ATTR_USERNAME as number;
const ATTR_MAPPED_ADDRESS = constants.STUN_ATTR_MAPPED_ADDRESS as number;
const ATTR_XOR_MAPPED_ADDRESS = constants.STUN_ATTR_XOR_MAPPED_ADDRESS as number;

export type StunMessageKind = 'binding-request' | 'binding-response' | 'binding-error' | 'other';

export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

/** What a STUN datagram says, as far as TR-111 cares. */
export interface StunDatagram {
  readonly kind: StunMessageKind;
  /** The 16 bytes after type and length: RFC 3489's transaction ID (RFC 5389's cookie + 96-bit ID). */
  readonly transactionId: Buffer;
  /** No RFC 5389 magic cookie: an RFC 3489 client, which must not be sent XOR-MAPPED-ADDRESS. */
  readonly legacy: boolean;
  /** USERNAME without the trailing spaces/NULs some CPEs pad it with (icwmp pads to 4 bytes). */
  readonly username?: string;
  readonly connectionRequestBinding: boolean;
  readonly bindingChange: boolean;
  readonly hasIntegrity: boolean;
  /** XOR-MAPPED-ADDRESS when present, else MAPPED-ADDRESS (responses). */
  readonly mappedAddress?: TransportAddress;
  /** ERROR-CODE of an error response (class × 100 + number). */
  readonly errorCode?: number;
}

function isStunHeader(buf: Buffer): boolean {
  // Two leading zero bits and a length that is a multiple of 4 covering the rest (RFC 5389 §6).
  return buf.length >= HEADER_LENGTH && (buf[0]! & 0xc0) === 0 && buf.readUInt16BE(2) % 4 === 0 && buf.readUInt16BE(2) + HEADER_LENGTH <= buf.length;
}

function kindOf(type: number): StunMessageKind {
  if (type === BINDING_REQUEST) return 'binding-request';
  if (type === BINDING_RESPONSE) return 'binding-response';
  if (type === BINDING_ERROR_RESPONSE) return 'binding-error';
  return 'other';
}

function addressOf(value: unknown): TransportAddress | undefined {
  const v = value as { address?: unknown; port?: unknown } | undefined;
  return typeof v?.address === 'string' && typeof v.port === 'number' ? { address: v.address, port: v.port } : undefined;
}

/**
 * Decodes one datagram; `null` when it is not a well-formed STUN message (the caller drops it). Values come from
 * the `stun` codec; the TR-111 types and ERROR-CODE come from the raw TLVs (the codec reads 0xC001 as ICE's
 * NOMINATION, cannot represent 0xC002's empty value, and decodes ERROR-CODE's class wrongly in 2.1.0).
 */
export function decodeStunMessage(buf: Buffer): StunDatagram | null {
  if (!isStunHeader(buf)) return null;
  const raw = rawAttributes(buf);
  if (raw === null) return null;
  let decoded: ReturnType<typeof stun.decode>;
  try {
    decoded = stun.decode(buf);
  } catch {
    return null;
  }
  const has = (type: number) => raw.some((a) => a.type === type);
  const usernameValue = decoded.getAttribute(ATTR_USERNAME)?.value;
  const username = Buffer.isBuffer(usernameValue) ? usernameValue.toString('utf8').replace(/[ \0]+$/, '') : undefined;
  const error = raw.find((a) => a.type === ATTR_ERROR_CODE);
  const errorCode = error !== undefined && error.length >= 4 ? (buf[error.offset + 6]! & 0x07) * 100 + buf[error.offset + 7]! : undefined;
  const mapped = addressOf(decoded.getAttribute(ATTR_XOR_MAPPED_ADDRESS)?.value) ?? addressOf(decoded.getAttribute(ATTR_MAPPED_ADDRESS)?.value);
  return {
    kind: kindOf(buf.readUInt16BE(0)),
    transactionId: Buffer.from(buf.subarray(4, HEADER_LENGTH)),
    legacy: buf.readUInt32BE(4) !== MAGIC_COOKIE,
    ...(username === undefined || username === '' ? {} : { username }),
    connectionRequestBinding: has(ATTR_CONNECTION_REQUEST_BINDING),
    bindingChange: has(ATTR_BINDING_CHANGE),
    hasIntegrity: has(ATTR_MESSAGE_INTEGRITY),
    ...(mapped === undefined ? {} : { mappedAddress: mapped }),
    ...(errorCode === undefined ? {} : { errorCode }),
  };
}

/**
 * A Binding Request as the STUN server needs it, read from the TLV walk alone: type, transaction id, USERNAME and
 * which attributes are present. A request carries no value the codec is needed for (no addresses, no error), and
 * on the server's hot path the codec's decode would be a quarter of a keep-alive's cost; answers, which carry
 * addresses, are decoded by the codec (`decodeStunMessage`). `null`: not a well-formed Binding Request.
 */
export function readBindingRequest(buf: Buffer): StunDatagram | null {
  if (!isStunHeader(buf) || buf.readUInt16BE(0) !== BINDING_REQUEST) return null;
  const raw = rawAttributes(buf);
  if (raw === null) return null;
  let username: string | undefined;
  let connectionRequestBinding = false;
  let bindingChange = false;
  let hasIntegrity = false;
  for (const a of raw) {
    if (a.type === ATTR_USERNAME) username = buf.toString('utf8', a.offset + 4, a.offset + 4 + a.length).replace(/[ \0]+$/, '');
    else if (a.type === ATTR_CONNECTION_REQUEST_BINDING) connectionRequestBinding = true;
    else if (a.type === ATTR_BINDING_CHANGE) bindingChange = true;
    else if (a.type === ATTR_MESSAGE_INTEGRITY) hasIntegrity = true;
  }
  return {
    kind: 'binding-request',
    transactionId: buf.subarray(4, HEADER_LENGTH),
    legacy: buf.readUInt32BE(4) !== MAGIC_COOKIE,
    ...(username === undefined || username === '' ? {} : { username }),
    connectionRequestBinding,
    bindingChange,
    hasIntegrity,
  };
}

function encodeWithTransaction(message: ReturnType<typeof stun.createMessage>, transactionId: Buffer): Buffer {
  const out = stun.encode(message);
  // The codec models RFC 5389's cookie; an RFC 3489 peer's 128-bit ID is echoed whole.
  transactionId.copy(out, 4, 0, 16);
  return out;
}

function family(address: string): void {
  if (isIP(address) === 0) throw new TypeError(`not an IP address: ${address}`);
}

/** The Binding Response to `request` reporting `observed` (MAPPED-ADDRESS; XOR-MAPPED-ADDRESS too unless legacy). */
export function encodeBindingResponse(request: Pick<StunDatagram, 'transactionId' | 'legacy'>, observed: TransportAddress): Buffer {
  family(observed.address);
  const message = stun.createMessage(BINDING_RESPONSE, request.transactionId.subarray(4, 16));
  if (!request.legacy) message.addAttribute(ATTR_XOR_MAPPED_ADDRESS, observed.address, observed.port);
  message.addAttribute(ATTR_MAPPED_ADDRESS, observed.address, observed.port);
  return encodeWithTransaction(message, request.transactionId);
}

/**
 * `encodeBindingResponse` with the encoded answer per observed address kept (bounded; oldest out first): a CPE's
 * keep-alives come from one address, and only the transaction id differs between their answers. The codec's encode
 * is most of a keep-alive's cost. XOR-MAPPED-ADDRESS of IPv4 depends on the cookie only, so those are kept too; an
 * IPv6 one depends on the transaction id and is encoded each time.
 */
export class BindingResponseCache {
  readonly #templates = new Map<string, Buffer>();
  constructor(private readonly maxEntries: number) {}

  encode(request: Pick<StunDatagram, 'transactionId' | 'legacy'>, observed: TransportAddress): Buffer {
    if (!request.legacy && isIP(observed.address) === 6) return encodeBindingResponse(request, observed);
    const key = `${request.legacy ? 'L' : 'M'}${observed.address}|${observed.port}`;
    let template = this.#templates.get(key);
    if (template === undefined) {
      template = encodeBindingResponse({ legacy: request.legacy, transactionId: request.transactionId }, observed);
      this.#templates.set(key, template);
      if (this.#templates.size > this.maxEntries) this.#templates.delete(this.#templates.keys().next().value!);
    }
    const out = Buffer.allocUnsafe(template.length);
    template.copy(out);
    request.transactionId.copy(out, 4, 0, 16);
    return out;
  }
}

/** A Binding Error Response (e.g. 401 Unauthorized: the CPE retries with USERNAME and MESSAGE-INTEGRITY). */
export function encodeBindingError(request: Pick<StunDatagram, 'transactionId'>, code: number, reason: string): Buffer {
  const message = stun.createMessage(BINDING_ERROR_RESPONSE, request.transactionId.subarray(4, 16));
  message.addAttribute(constants.STUN_ATTR_ERROR_CODE as number, code, reason);
  return encodeWithTransaction(message, request.transactionId);
}

export interface BindingRequestOptions {
  /** 16 bytes; default: random (with the RFC 5389 cookie unless `legacy`). */
  readonly transactionId?: Buffer;
  /** Send as an RFC 3489 client (no magic cookie), as TR-111 CPEs do. */
  readonly legacy?: boolean;
  readonly connectionRequestBinding?: boolean;
  readonly bindingChange?: boolean;
  readonly username?: string;
  /** With `username`: add MESSAGE-INTEGRITY keyed with it (RFC 3489 input for legacy requests). */
  readonly password?: string;
}

function rawAttribute(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(4 + value.length + ((4 - (value.length % 4)) % 4));
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  value.copy(out, 4);
  return out;
}

/** A CPE's Binding Request (the simulator's STUN client). */
export function encodeBindingRequest(options: BindingRequestOptions = {}): Buffer {
  const transactionId = options.transactionId ?? newTransactionId(options.legacy === true);
  const message = stun.createMessage(BINDING_REQUEST, transactionId.subarray(4, 16));
  if (options.username !== undefined) message.addAttribute(ATTR_USERNAME, options.username);
  const tr111 = [
    ...(options.connectionRequestBinding === true ? [rawAttribute(ATTR_CONNECTION_REQUEST_BINDING, CONNECTION_REQUEST_BINDING_VALUE)] : []),
    ...(options.bindingChange === true ? [rawAttribute(ATTR_BINDING_CHANGE, Buffer.alloc(0))] : []),
  ];
  let out: Buffer = Buffer.concat([encodeWithTransaction(message, transactionId), ...tr111]);
  out.writeUInt16BE(out.length - HEADER_LENGTH, 2);
  if (options.username !== undefined && options.password !== undefined) {
    const variant: IntegrityVariant = transactionId.readUInt32BE(0) === MAGIC_COOKIE ? 'rfc5389' : 'rfc3489';
    out = appendMessageIntegrity(out, options.password, variant);
  }
  return out;
}

/** 16 random bytes; the first four are the RFC 5389 magic cookie unless `legacy`. */
export function newTransactionId(legacy: boolean): Buffer {
  const id = randomBytes(16);
  if (!legacy) id.writeUInt32BE(MAGIC_COOKIE, 0);
  else if (id.readUInt32BE(0) === MAGIC_COOKIE) id[0] = id[0]! ^ 0xff;
  return id;
}
