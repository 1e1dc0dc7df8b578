import { CwmpParseError, type CwmpParseErrorCode } from './errors.js';
import { isCwmpNamespace, SOAP_ENV_NS, versionFromInform, XSI_NS } from './namespaces.js';
import type {
  AllQueuedTransferStruct,
  ArgStruct,
  AutonOpResultStruct,
  ChangeDUStateOperation,
  CwmpEnvelope,
  CwmpHeader,
  CwmpMessage,
  CwmpMethodName,
  CwmpVersion,
  EventStruct,
  Fault,
  FaultStruct,
  NotificationValue,
  OpResultStruct,
  ParameterAttributeStruct,
  ParameterInfoStruct,
  ParameterValueStruct,
  QueuedTransferStruct,
  SetParameterAttributesStruct,
  SetParameterValuesFaultStruct,
  TimeWindowStruct,
} from './types.js';
import { validateValue, xsdTypeFromLocalName } from './values.js';
import { parseXml, parseXmlYielding, UNBOUND_NS_PREFIX, XmlLimitError, XmlSyntaxError, type ParsedXml, type XmlElement } from './xml.js';

/**
 * Default cap on a body: big trees should be fetched in batches (cwmp-protocol.md §12.14); pass a larger
 * `maxBytes` where a full-tree GetParameterValuesResponse must be accepted.
 */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

export type DecodedKind = 'request' | 'response' | 'fault';

export type Decoded =
  | { kind: 'empty' }
  | {
      kind: DecodedKind;
      envelope: CwmpEnvelope;
      version: CwmpVersion;
      /** Tolerated deviations (missing xsi:type, undeclared prefixes, defaulted arguments...). */
      warnings: string[];
      /**
       * Header elements we do not understand that carry mustUnderstand="1" (resolved by the
       * SOAP envelope URI). SOAP 1.1 says to answer those with a MustUnderstand fault.
       */
      notUnderstood: string[];
    };

export interface DecodeOptions {
  /** Reject bodies larger than this many bytes (UTF-8). Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  /**
   * For Buffer input: the charset from the HTTP Content-Type, if any. Otherwise the XML
   * declaration's encoding is used, else UTF-8 (GenieACS order, cwmp-protocol.md §1.3).
   */
  charset?: string;
}

/**
 * Bytes to text: UTF-16 BOM, then the given charset, then the XML declaration, then UTF-8.
 * Unknown labels fall back to UTF-8 with a warning.
 */
function bytesToText(bytes: Buffer, charset: string | undefined, warnings: string[]): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  // The declaration is ASCII in every ASCII-compatible encoding.
  const declared = /^(?:\uFEFF)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(
    bytes.subarray(0, 200).toString('latin1').replace(/^\u00EF\u00BB\u00BF/, ''),
  )?.[1];
  const label = (charset ?? declared)?.trim().toLowerCase();
  if (label === undefined || label === 'utf-8' || label === 'utf8') return bytes.toString('utf8');
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    warnings.push(`unknown charset "${label}"; read as UTF-8`);
    return bytes.toString('utf8');
  }
}

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
// Checked on the raw text so that no parser ever sees a DTD (no entity expansion, no XXE).
const DTD_RE = /<!\s*(DOCTYPE|ENTITY)/i;

/**
 * Decode one HTTP body from a CPE (or, for the simulator, from the ACS).
 * Throws only CwmpParseError.
 */
export function decode(input: string | Buffer, opts: DecodeOptions = {}): Decoded {
  return guarded(() => {
    const prepared = prepare(input, opts);
    if (prepared.kind === 'empty') return prepared;
    let parsed: ParsedXml;
    try {
      parsed = parseXml(prepared.text);
    } catch (e) {
      throw parseFailure(e);
    }
    return fromTree(parsed, prepared.warnings);
  });
}

/**
 * decode(), but the XML parse gives the event loop back every few milliseconds: what a server uses, so
 * that a large body never stalls the requests it serves beside it. Rejects only with CwmpParseError.
 */
export async function decodeAsync(input: string | Buffer, opts: DecodeOptions = {}): Promise<Decoded> {
  const prepared = guarded(() => prepare(input, opts));
  if (prepared.kind === 'empty') return prepared;
  const parsed = await parseXmlYielding(prepared.text).catch((e: unknown) => {
    throw parseFailure(e);
  });
  return guarded(() => fromTree(parsed, prepared.warnings));
}

const EMPTY = Object.freeze({ kind: 'empty' } as const);

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CwmpParseError) throw e;
    // A bug of ours must still honour the "only CwmpParseError" contract.
    throw new CwmpParseError('INVALID_ARGUMENT', `cannot decode message: ${String(e)}`, { cause: e });
  }
}

/** Size cap, bytes to text, DTD refusal: everything before the parse. */
function prepare(input: string | Buffer, opts: DecodeOptions): typeof EMPTY | { kind: 'text'; text: string; warnings: string[] } {
  // NaN or a negative cap would silently disable the check.
  const maxBytes = typeof opts.maxBytes === 'number' && opts.maxBytes >= 0 ? opts.maxBytes : DEFAULT_MAX_BYTES;
  const size = typeof input === 'string' ? (input.length > maxBytes ? input.length : Buffer.byteLength(input)) : input.length;
  if (size > maxBytes) throw new CwmpParseError('TOO_LARGE', `body of ${size} bytes exceeds ${maxBytes}`);
  const warnings: string[] = [];
  let text = typeof input === 'string' ? input : bytesToText(input, opts.charset, warnings);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return EMPTY;
  if (DTD_RE.test(text)) throw new CwmpParseError('DOCTYPE_FORBIDDEN', 'DTDs and entity declarations are not accepted');
  return { kind: 'text', text, warnings };
}

/** A failed parse as the CwmpParseError decode() throws. */
function parseFailure(e: unknown): CwmpParseError {
  if (e instanceof XmlLimitError) return new CwmpParseError('XML_LIMIT', `XML over its limits: ${e.message}`, { cause: e });
  const message = e instanceof XmlSyntaxError ? e.message : String(e);
  return new CwmpParseError('MALFORMED_XML', `malformed XML: ${message}`, { cause: e });
}

/** The CWMP mapping of a parsed document, its undeclared prefixes as warnings. */
function fromTree(parsed: ParsedXml, warnings: string[]): Decoded {
  for (const p of parsed.unbound) warnings.push(`undeclared namespace prefix "${p}"`);
  return decodeTree(parsed.root, warnings);
}

/** The CWMP mapping of an already parsed document (exported for the benchmark, not from the package). */
export function decodeTree(root: XmlElement, warnings: string[] = []): Exclude<Decoded, { kind: 'empty' }> {
  if (root.local !== 'Envelope' || root.uri !== SOAP_ENV_NS) {
    throw new CwmpParseError('NOT_SOAP', `root element is {${root.uri}}${root.local}, not a SOAP 1.1 Envelope`);
  }

  const headerEl = root.children.find((c) => c.local === 'Header');
  const bodyEl = root.children.find((c) => c.local === 'Body');
  const notUnderstood: string[] = [];
  const header = headerEl ? readHeader(headerEl, warnings, notUnderstood) : {};
  const id = header.id;

  const bodyChild = bodyEl?.children[0];
  if (!bodyEl || !bodyChild) throw new CwmpParseError('NO_BODY', 'SOAP Body is missing or empty', idOnly(id));
  if (bodyEl.children.length > 1) warnings.push('Body has more than one element; only the first is read');

  const cwmpNamespace = findCwmpNamespace(root, headerEl, bodyChild, warnings);
  const ctx = new Ctx(warnings, bodyChild.local, id);
  let body: CwmpMessage;
  if (bodyChild.local === 'Fault' && !isCwmpNamespace(bodyChild.uri)) {
    body = readFault(bodyChild, ctx);
  } else {
    const method = bodyChild.local;
    const reader = Object.hasOwn(READERS, method) ? READERS[method as ReaderName] : undefined;
    if (!reader) {
      throw new CwmpParseError('UNKNOWN_METHOD', `unknown method ${method}`, { method, ...idOnly(id) });
    }
    if (!isCwmpNamespace(bodyChild.uri)) warnings.push(`${method} is not in a cwmp namespace ({${bodyChild.uri}})`);
    body = reader(bodyChild, ctx);
    ctx.flush();
  }

  const envelope: CwmpEnvelope = { cwmpNamespace, header, body };
  return { kind: kindOf(body.name), envelope, version: versionFromInform(envelope), warnings, notUnderstood };
}

// Peer text quoted in warnings and errors is bounded.
function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function idOnly(id: string | undefined): { id?: string } {
  return id === undefined ? {} : { id };
}

function kindOf(name: CwmpMethodName): DecodedKind {
  if (name === 'Fault') return 'fault';
  return name.endsWith('Response') ? 'response' : 'request';
}

function findCwmpNamespace(
  root: XmlElement,
  headerEl: XmlElement | undefined,
  bodyChild: XmlElement,
  warnings: string[],
): string {
  if (isCwmpNamespace(bodyChild.uri)) return bodyChild.uri;
  for (const h of headerEl?.children ?? []) if (isCwmpNamespace(h.uri)) return h.uri;
  // A Fault: its detail carries cwmp:Fault.
  for (const d of bodyChild.children) for (const f of d.children) if (isCwmpNamespace(f.uri)) return f.uri;
  const declared = root.attrs.find((a) => a.uri === XMLNS_NS && isCwmpNamespace(a.value));
  if (declared) return declared.value;
  warnings.push('no cwmp namespace found; assuming urn:dslforum-org:cwmp-1-0');
  return 'urn:dslforum-org:cwmp-1-0';
}

// ---------------------------------------------------------------------------
// Header (cwmp-protocol.md §1.5)

function readHeader(headerEl: XmlElement, warnings: string[], notUnderstood: string[]): CwmpHeader {
  const header: CwmpHeader = {};
  for (const h of headerEl.children) {
    const known = isCwmpNamespace(h.uri) || h.uri.startsWith(UNBOUND_NS_PREFIX);
    const text = h.text.trim();
    // GenieACS looks for "sessionTimeout": CPEs vary in case, so match case-insensitively.
    switch (known ? h.local.toLowerCase() : '') {
      case 'id':
        header.id = text;
        break;
      case 'holdrequests': {
        const b = parseBool(text);
        if (b === undefined) warnings.push(`HoldRequests "${clip(text)}" is not a boolean; ignored`);
        else header.holdRequests = b;
        break;
      }
      case 'nomorerequests': {
        const b = parseBool(text);
        if (b === undefined) warnings.push(`NoMoreRequests "${clip(text)}" is not a boolean; ignored`);
        else header.noMoreRequests = b;
        break;
      }
      case 'sessiontimeout': {
        const n = parseUnsigned(text);
        if (n === undefined) warnings.push(`SessionTimeout "${clip(text)}" is not an unsignedInt; ignored`);
        else header.sessionTimeout = n;
        break;
      }
      case 'supportedcwmpversions':
        header.supportedCWMPVersions = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
        break;
      case 'usecwmpversion':
        header.useCWMPVersion = text;
        break;
      default: {
        // Resolved by URI: a CPE once bound "soap" to the encoding namespace (FreeACS #290).
        const mu = h.attrs.find((a) => a.local === 'mustUnderstand' && a.uri === SOAP_ENV_NS);
        if (mu && parseBool(mu.value.trim()) === true) notUnderstood.push(`{${h.uri}}${h.local}`);
        else warnings.push(`ignored header {${h.uri}}${h.local}`);
      }
    }
  }
  return header;
}

function parseBool(s: string): boolean | undefined {
  switch (s.toLowerCase()) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      return undefined;
  }
}

function parseUnsigned(s: string): number | undefined {
  if (!/^\+?\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

// ---------------------------------------------------------------------------
// Argument readers. RPC arguments are unqualified: match children by local name only.

class Ctx {
  constructor(
    readonly warnings: string[],
    readonly method: string,
    readonly id: string | undefined,
  ) {}

  fail(message: string, code: CwmpParseErrorCode = 'INVALID_ARGUMENT'): never {
    throw new CwmpParseError(code, `${this.method}: ${message}`, { method: this.method, ...idOnly(this.id) });
  }

  /** Parameters whose Value had no xsi:type: one summary warning, not one per value. */
  readonly untyped: string[] = [];

  missing(path: string): void {
    this.warnings.push(`${this.method}: ${path} missing; defaulted`);
  }

  flush(): void {
    const n = this.untyped.length;
    if (n > 0) {
      this.warnings.push(`${this.method}: ${n} value${n === 1 ? '' : 's'} without xsi:type read as string (first: ${this.untyped[0]})`);
    }
  }
}

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.local === name);
}

/** An xsd:string argument, untrimmed (whitespace may be meaningful). */
function str(ctx: Ctx, el: XmlElement, name: string): string {
  const c = child(el, name);
  if (!c) {
    ctx.missing(name);
    return '';
  }
  return c.text;
}

/** A structural token (names, codes, dateTimes, versions): trimmed. */
function token(ctx: Ctx, el: XmlElement, name: string): string {
  return str(ctx, el, name).trim();
}

function optStr(el: XmlElement, name: string): string | undefined {
  return child(el, name)?.text;
}

const INT_LIMITS = { int: [-(2 ** 31), 2 ** 31 - 1], unsignedInt: [0, 2 ** 32 - 1] } as const;

function int(ctx: Ctx, el: XmlElement, name: string, type: keyof typeof INT_LIMITS = 'unsignedInt'): number {
  const c = child(el, name);
  if (!c) {
    ctx.missing(name);
    return 0;
  }
  const t = c.text.trim();
  const [lo, hi] = INT_LIMITS[type];
  if (!/^[+-]?\d{1,11}$/.test(t) || Number(t) < lo || Number(t) > hi) ctx.fail(`${name} "${clip(t)}" is not an xsd:${type}`);
  return Number(t);
}

function bool(ctx: Ctx, el: XmlElement, name: string): boolean {
  const c = child(el, name);
  if (!c) {
    ctx.missing(name);
    return false;
  }
  const b = parseBool(c.text.trim());
  if (b === undefined) ctx.fail(`${name} "${clip(c.text.trim())}" is not a boolean`);
  return b;
}

function status(ctx: Ctx, el: XmlElement): 0 | 1 {
  const n = int(ctx, el, 'Status', 'int');
  if (n !== 0 && n !== 1) ctx.fail(`Status ${n} is neither 0 nor 1`);
  return n;
}

function notification(ctx: Ctx, el: XmlElement): NotificationValue {
  const n = int(ctx, el, 'Notification', 'int');
  if (n < 0 || n > 6) ctx.fail(`Notification ${n} is out of range 0-6`);
  return n as NotificationValue;
}

/** Items of a SOAP-encoded array; the declared arrayType and count are ignored (§2.4). */
function items(ctx: Ctx, el: XmlElement, wrapper: string, item: string): XmlElement[] {
  const w = child(el, wrapper);
  if (!w) {
    ctx.missing(wrapper);
    return [];
  }
  return w.children.filter((c) => c.local === item);
}

function strings(ctx: Ctx, el: XmlElement, wrapper: string): string[] {
  return items(ctx, el, wrapper, 'string').map((s) => s.text.trim());
}

function parameterValues(ctx: Ctx, el: XmlElement): ParameterValueStruct[] {
  return items(ctx, el, 'ParameterList', 'ParameterValueStruct').map((p) => parameterValue(ctx, p));
}

function parameterValue(ctx: Ctx, p: XmlElement): ParameterValueStruct {
  const name = token(ctx, p, 'Name');
  const v = child(p, 'Value');
  if (!v) {
    // Cisco SPA122 sends ParameterValueStruct without Value (GenieACS #317).
    ctx.warnings.push(`${ctx.method}: ${name} has no Value; read as empty string`);
    return { name, value: '', type: 'string' };
  }
  const xsiType = v.attrs.find((a) => a.local === 'type' && (a.uri === XSI_NS || a.uri === `${UNBOUND_NS_PREFIX}xsi`));
  if (!xsiType) {
    ctx.untyped.push(name);
    return { name, value: v.text, type: 'string' };
  }
  const local = xsiType.value.trim().replace(/^.*:/, '');
  const type = xsdTypeFromLocalName(local);
  if (!type) {
    ctx.warnings.push(`${ctx.method}: ${name} has unknown xsi:type "${clip(xsiType.value)}"; read as string`);
    return { name, value: v.text, type: 'string' };
  }
  const value = type === 'string' ? v.text : v.text.trim();
  if (!validateValue(type, value)) ctx.warnings.push(`${ctx.method}: ${name} value is not a valid xsd:${type}`);
  return { name, value, type };
}

function faultStruct(ctx: Ctx, el: XmlElement, name: string): FaultStruct {
  const f = child(el, name);
  if (!f) {
    ctx.missing(name);
    return { faultCode: 0, faultString: '' };
  }
  return { faultCode: int(ctx, f, 'FaultCode'), faultString: optStr(f, 'FaultString') ?? '' };
}

function opResult(ctx: Ctx, r: XmlElement): OpResultStruct {
  return {
    uuid: token(ctx, r, 'UUID'),
    deploymentUnitRef: str(ctx, r, 'DeploymentUnitRef'),
    version: str(ctx, r, 'Version'),
    currentState: token(ctx, r, 'CurrentState'),
    resolved: bool(ctx, r, 'Resolved'),
    executionUnitRefList: str(ctx, r, 'ExecutionUnitRefList'),
    startTime: token(ctx, r, 'StartTime'),
    completeTime: token(ctx, r, 'CompleteTime'),
    fault: faultStruct(ctx, r, 'Fault'),
  };
}

function operation(ctx: Ctx, op: XmlElement): ChangeDUStateOperation {
  const xsiType = op.attrs.find((a) => a.local === 'type' && a.uri === XSI_NS)?.value.trim().replace(/^.*:/, '');
  let type = xsiType;
  if (type !== 'InstallOpStruct' && type !== 'UpdateOpStruct' && type !== 'UninstallOpStruct') {
    // Without a usable xsi:type, infer from the mandatory members.
    const hasUrl = child(op, 'URL') !== undefined;
    const hasUuid = child(op, 'UUID') !== undefined;
    type = hasUrl && !hasUuid ? 'InstallOpStruct' : hasUuid && !hasUrl ? 'UninstallOpStruct' : 'UpdateOpStruct';
    ctx.warnings.push(`${ctx.method}: Operations without a known xsi:type; read as ${type}`);
  }
  const opt = (name: string, into: Record<string, string>, key: string): void => {
    const v = optStr(op, name);
    if (v !== undefined) into[key] = name === 'UUID' ? v.trim() : v;
  };
  switch (type) {
    case 'InstallOpStruct': {
      const o: Extract<ChangeDUStateOperation, { type: 'InstallOpStruct' }> = { type, url: str(ctx, op, 'URL') };
      const r = o as unknown as Record<string, string>;
      opt('UUID', r, 'uuid');
      opt('Username', r, 'username');
      opt('Password', r, 'password');
      opt('ExecutionEnvRef', r, 'executionEnvRef');
      return o;
    }
    case 'UpdateOpStruct': {
      const o: Extract<ChangeDUStateOperation, { type: 'UpdateOpStruct' }> = { type };
      const r = o as unknown as Record<string, string>;
      opt('UUID', r, 'uuid');
      opt('Version', r, 'version');
      opt('URL', r, 'url');
      opt('Username', r, 'username');
      opt('Password', r, 'password');
      return o;
    }
    default: {
      const o: Extract<ChangeDUStateOperation, { type: 'UninstallOpStruct' }> = {
        type: 'UninstallOpStruct',
        uuid: token(ctx, op, 'UUID'),
      };
      const r = o as unknown as Record<string, string>;
      opt('Version', r, 'version');
      opt('ExecutionEnvRef', r, 'executionEnvRef');
      return o;
    }
  }
}

function readFault(el: XmlElement, ctx: Ctx): Fault {
  // faultcode/faultstring are unqualified in SOAP 1.1; read "SOAP-ENV:Client" like "Client".
  const rawCode = (optStr(el, 'faultcode') ?? '').trim().replace(/^.*:/, '');
  const faultcode = rawCode === 'Client' ? 'Client' : 'Server';
  if (rawCode !== 'Client' && rawCode !== 'Server') ctx.warnings.push(`Fault: faultcode "${clip(rawCode)}" read as Server`);
  const faultstring = optStr(el, 'faultstring') ?? '';
  const cwmpFault = child(el, 'detail')?.children.find((c) => c.local === 'Fault');
  if (!cwmpFault) ctx.fail('SOAP Fault without detail/cwmp:Fault');
  const spv: SetParameterValuesFaultStruct[] = cwmpFault.children
    .filter((c) => c.local === 'SetParameterValuesFault')
    .map((f) => ({
      parameterName: token(ctx, f, 'ParameterName'),
      faultCode: int(ctx, f, 'FaultCode'),
      faultString: optStr(f, 'FaultString') ?? '',
    }));
  return {
    name: 'Fault',
    faultcode,
    faultstring,
    detail: {
      faultCode: int(ctx, cwmpFault, 'FaultCode'),
      faultString: optStr(cwmpFault, 'FaultString') ?? '',
      setParameterValuesFault: spv,
    },
  };
}

// ---------------------------------------------------------------------------
// One reader per RPC. The mapped type makes a missing RPC a compile error.

type ReaderName = Exclude<CwmpMethodName, 'Fault'>;
type Readers = { [K in ReaderName]: (el: XmlElement, ctx: Ctx) => Extract<CwmpMessage, { name: K }> };

const READERS: Readers = {
  Inform: (el, ctx) => {
    const d = child(el, 'DeviceId');
    if (!d) return ctx.fail('DeviceId missing');
    const deviceId = {
      manufacturer: token(ctx, d, 'Manufacturer'),
      oui: token(ctx, d, 'OUI'),
      productClass: token(ctx, d, 'ProductClass'),
      serialNumber: token(ctx, d, 'SerialNumber'),
    };
    // GenieACS requires only OUI and SerialNumber; so do we.
    if (deviceId.oui === '' || deviceId.serialNumber === '') ctx.fail('DeviceId needs OUI and SerialNumber');
    const event: EventStruct[] = items(ctx, el, 'Event', 'EventStruct').map((e) => ({
      eventCode: token(ctx, e, 'EventCode'),
      commandKey: str(ctx, e, 'CommandKey'),
    }));
    return {
      name: 'Inform',
      deviceId,
      event,
      maxEnvelopes: int(ctx, el, 'MaxEnvelopes'),
      currentTime: token(ctx, el, 'CurrentTime'),
      retryCount: int(ctx, el, 'RetryCount'),
      parameterList: parameterValues(ctx, el),
    };
  },
  InformResponse: (el, ctx) => ({ name: 'InformResponse', maxEnvelopes: int(ctx, el, 'MaxEnvelopes') }),
  TransferComplete: (el, ctx) => ({
    name: 'TransferComplete',
    commandKey: str(ctx, el, 'CommandKey'),
    faultStruct: faultStruct(ctx, el, 'FaultStruct'),
    startTime: token(ctx, el, 'StartTime'),
    completeTime: token(ctx, el, 'CompleteTime'),
  }),
  TransferCompleteResponse: () => ({ name: 'TransferCompleteResponse' }),
  AutonomousTransferComplete: (el, ctx) => ({
    name: 'AutonomousTransferComplete',
    announceURL: str(ctx, el, 'AnnounceURL'),
    transferURL: str(ctx, el, 'TransferURL'),
    isDownload: bool(ctx, el, 'IsDownload'),
    fileType: str(ctx, el, 'FileType'),
    fileSize: int(ctx, el, 'FileSize'),
    targetFileName: str(ctx, el, 'TargetFileName'),
    faultStruct: faultStruct(ctx, el, 'FaultStruct'),
    startTime: token(ctx, el, 'StartTime'),
    completeTime: token(ctx, el, 'CompleteTime'),
  }),
  AutonomousTransferCompleteResponse: () => ({ name: 'AutonomousTransferCompleteResponse' }),
  RequestDownload: (el, ctx) => ({
    name: 'RequestDownload',
    fileType: str(ctx, el, 'FileType'),
    fileTypeArg: items(ctx, el, 'FileTypeArg', 'ArgStruct').map(
      (a): ArgStruct => ({ name: token(ctx, a, 'Name'), value: str(ctx, a, 'Value') }),
    ),
  }),
  RequestDownloadResponse: () => ({ name: 'RequestDownloadResponse' }),
  Kicked: (el, ctx) => ({
    name: 'Kicked',
    command: str(ctx, el, 'Command'),
    referer: str(ctx, el, 'Referer'),
    arg: str(ctx, el, 'Arg'),
    next: str(ctx, el, 'Next'),
  }),
  KickedResponse: (el, ctx) => ({ name: 'KickedResponse', nextURL: str(ctx, el, 'NextURL') }),
  DUStateChangeComplete: (el, ctx) => ({
    name: 'DUStateChangeComplete',
    results: el.children.filter((c) => c.local === 'Results').map((r) => opResult(ctx, r)),
    commandKey: optStr(el, 'CommandKey') ?? '',
  }),
  DUStateChangeCompleteResponse: () => ({ name: 'DUStateChangeCompleteResponse' }),
  AutonomousDUStateChangeComplete: (el, ctx) => ({
    name: 'AutonomousDUStateChangeComplete',
    results: el.children
      .filter((c) => c.local === 'Results')
      .map((r): AutonOpResultStruct => ({ ...opResult(ctx, r), operationPerformed: token(ctx, r, 'OperationPerformed') })),
  }),
  AutonomousDUStateChangeCompleteResponse: () => ({ name: 'AutonomousDUStateChangeCompleteResponse' }),
  GetRPCMethods: () => ({ name: 'GetRPCMethods' }),
  GetRPCMethodsResponse: (el, ctx) => ({ name: 'GetRPCMethodsResponse', methodList: strings(ctx, el, 'MethodList') }),
  SetParameterValues: (el, ctx) => ({
    name: 'SetParameterValues',
    parameterList: parameterValues(ctx, el),
    parameterKey: str(ctx, el, 'ParameterKey'),
  }),
  SetParameterValuesResponse: (el, ctx) => ({ name: 'SetParameterValuesResponse', status: status(ctx, el) }),
  GetParameterValues: (el, ctx) => ({ name: 'GetParameterValues', parameterNames: strings(ctx, el, 'ParameterNames') }),
  GetParameterValuesResponse: (el, ctx) => ({ name: 'GetParameterValuesResponse', parameterList: parameterValues(ctx, el) }),
  GetParameterNames: (el, ctx) => ({
    name: 'GetParameterNames',
    parameterPath: token(ctx, el, 'ParameterPath'),
    nextLevel: bool(ctx, el, 'NextLevel'),
  }),
  GetParameterNamesResponse: (el, ctx) => ({
    name: 'GetParameterNamesResponse',
    parameterList: items(ctx, el, 'ParameterList', 'ParameterInfoStruct').map(
      (p): ParameterInfoStruct => ({ name: token(ctx, p, 'Name'), writable: bool(ctx, p, 'Writable') }),
    ),
  }),
  SetParameterAttributes: (el, ctx) => ({
    name: 'SetParameterAttributes',
    parameterList: items(ctx, el, 'ParameterList', 'SetParameterAttributesStruct').map(
      (p): SetParameterAttributesStruct => ({
        name: token(ctx, p, 'Name'),
        notificationChange: bool(ctx, p, 'NotificationChange'),
        notification: notification(ctx, p),
        accessListChange: bool(ctx, p, 'AccessListChange'),
        accessList: strings(ctx, p, 'AccessList'),
      }),
    ),
  }),
  SetParameterAttributesResponse: () => ({ name: 'SetParameterAttributesResponse' }),
  GetParameterAttributes: (el, ctx) => ({
    name: 'GetParameterAttributes',
    parameterNames: strings(ctx, el, 'ParameterNames'),
  }),
  GetParameterAttributesResponse: (el, ctx) => ({
    name: 'GetParameterAttributesResponse',
    parameterList: items(ctx, el, 'ParameterList', 'ParameterAttributeStruct').map(
      (p): ParameterAttributeStruct => ({
        name: token(ctx, p, 'Name'),
        notification: notification(ctx, p),
        accessList: strings(ctx, p, 'AccessList'),
      }),
    ),
  }),
  AddObject: (el, ctx) => ({
    name: 'AddObject',
    objectName: token(ctx, el, 'ObjectName'),
    parameterKey: str(ctx, el, 'ParameterKey'),
  }),
  AddObjectResponse: (el, ctx) => ({
    name: 'AddObjectResponse',
    instanceNumber: int(ctx, el, 'InstanceNumber'),
    status: status(ctx, el),
  }),
  DeleteObject: (el, ctx) => ({
    name: 'DeleteObject',
    objectName: token(ctx, el, 'ObjectName'),
    parameterKey: str(ctx, el, 'ParameterKey'),
  }),
  DeleteObjectResponse: (el, ctx) => ({ name: 'DeleteObjectResponse', status: status(ctx, el) }),
  Reboot: (el, ctx) => ({ name: 'Reboot', commandKey: str(ctx, el, 'CommandKey') }),
  RebootResponse: () => ({ name: 'RebootResponse' }),
  Download: (el, ctx) => ({
    name: 'Download',
    commandKey: str(ctx, el, 'CommandKey'),
    fileType: str(ctx, el, 'FileType'),
    url: str(ctx, el, 'URL'),
    username: str(ctx, el, 'Username'),
    password: str(ctx, el, 'Password'),
    fileSize: int(ctx, el, 'FileSize'),
    targetFileName: str(ctx, el, 'TargetFileName'),
    delaySeconds: int(ctx, el, 'DelaySeconds'),
    successURL: str(ctx, el, 'SuccessURL'),
    failureURL: str(ctx, el, 'FailureURL'),
  }),
  DownloadResponse: (el, ctx) => ({
    name: 'DownloadResponse',
    status: status(ctx, el),
    startTime: token(ctx, el, 'StartTime'),
    completeTime: token(ctx, el, 'CompleteTime'),
  }),
  Upload: (el, ctx) => ({
    name: 'Upload',
    commandKey: str(ctx, el, 'CommandKey'),
    fileType: str(ctx, el, 'FileType'),
    url: str(ctx, el, 'URL'),
    username: str(ctx, el, 'Username'),
    password: str(ctx, el, 'Password'),
    delaySeconds: int(ctx, el, 'DelaySeconds'),
  }),
  UploadResponse: (el, ctx) => ({
    name: 'UploadResponse',
    status: status(ctx, el),
    startTime: token(ctx, el, 'StartTime'),
    completeTime: token(ctx, el, 'CompleteTime'),
  }),
  FactoryReset: () => ({ name: 'FactoryReset' }),
  FactoryResetResponse: () => ({ name: 'FactoryResetResponse' }),
  ScheduleInform: (el, ctx) => ({
    name: 'ScheduleInform',
    delaySeconds: int(ctx, el, 'DelaySeconds'),
    commandKey: str(ctx, el, 'CommandKey'),
  }),
  ScheduleInformResponse: () => ({ name: 'ScheduleInformResponse' }),
  ScheduleDownload: (el, ctx) => ({
    name: 'ScheduleDownload',
    commandKey: str(ctx, el, 'CommandKey'),
    fileType: str(ctx, el, 'FileType'),
    url: str(ctx, el, 'URL'),
    username: str(ctx, el, 'Username'),
    password: str(ctx, el, 'Password'),
    fileSize: int(ctx, el, 'FileSize'),
    targetFileName: str(ctx, el, 'TargetFileName'),
    timeWindowList: items(ctx, el, 'TimeWindowList', 'TimeWindowStruct').map(
      (w): TimeWindowStruct => ({
        windowStart: int(ctx, w, 'WindowStart'),
        windowEnd: int(ctx, w, 'WindowEnd'),
        windowMode: str(ctx, w, 'WindowMode'),
        userMessage: str(ctx, w, 'UserMessage'),
        maxRetries: int(ctx, w, 'MaxRetries', 'int'),
      }),
    ),
  }),
  ScheduleDownloadResponse: () => ({ name: 'ScheduleDownloadResponse' }),
  CancelTransfer: (el, ctx) => ({ name: 'CancelTransfer', commandKey: str(ctx, el, 'CommandKey') }),
  CancelTransferResponse: () => ({ name: 'CancelTransferResponse' }),
  GetQueuedTransfers: () => ({ name: 'GetQueuedTransfers' }),
  GetQueuedTransfersResponse: (el, ctx) => ({
    name: 'GetQueuedTransfersResponse',
    transferList: items(ctx, el, 'TransferList', 'QueuedTransferStruct').map(
      (t): QueuedTransferStruct => ({ commandKey: str(ctx, t, 'CommandKey'), state: int(ctx, t, 'State', 'int') }),
    ),
  }),
  GetAllQueuedTransfers: () => ({ name: 'GetAllQueuedTransfers' }),
  GetAllQueuedTransfersResponse: (el, ctx) => ({
    name: 'GetAllQueuedTransfersResponse',
    transferList: items(ctx, el, 'TransferList', 'AllQueuedTransferStruct').map(
      (t): AllQueuedTransferStruct => ({
        commandKey: str(ctx, t, 'CommandKey'),
        state: int(ctx, t, 'State', 'int'),
        isDownload: bool(ctx, t, 'IsDownload'),
        fileType: str(ctx, t, 'FileType'),
        fileSize: int(ctx, t, 'FileSize'),
        targetFileName: str(ctx, t, 'TargetFileName'),
      }),
    ),
  }),
  ChangeDUState: (el, ctx) => ({
    name: 'ChangeDUState',
    operations: el.children.filter((c) => c.local === 'Operations').map((o) => operation(ctx, o)),
    commandKey: optStr(el, 'CommandKey') ?? '',
  }),
  ChangeDUStateResponse: () => ({ name: 'ChangeDUStateResponse' }),
};

/** Names of every RPC the codec knows (Fault excluded). */
export const KNOWN_METHODS: readonly string[] = Object.keys(READERS);
