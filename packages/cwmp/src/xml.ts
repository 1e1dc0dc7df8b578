// The only module that knows xml2js. Everything else sees `XmlElement`, so a faster
// parser could replace xml2js here without touching the codec.
import xml2js from 'xml2js';

export interface XmlAttribute {
  /** Namespace URI ('' when unqualified). */
  uri: string;
  local: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI ('' when unqualified); an undeclared prefix resolves to `urn:acs:unbound:<prefix>`. */
  uri: string;
  local: string;
  attrs: XmlAttribute[];
  children: XmlElement[];
  /** Concatenated character data of this element (CDATA included), untrimmed. */
  text: string;
}

export const UNBOUND_NS_PREFIX = 'urn:acs:unbound:';

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

// Shape of what xml2js produces with the options below.
interface RawAttr {
  value: string;
  local: string;
  uri: string;
}
export interface RawNode {
  '#name': string;
  $ns?: { uri: string; local: string };
  $?: Record<string, RawAttr>;
  $$?: RawNode[];
  _?: string;
}

// `xmlnskey` exists in xml2js but is missing from @types/xml2js.
export const XML2JS_OPTIONS: xml2js.ParserOptions & { xmlnskey: string } = {
  xmlns: true,
  strict: true,
  async: false,
  explicitRoot: false,
  explicitChildren: true,
  preserveChildrenOrder: true,
  // Text as ordered children keeps whitespace-only values (" " is a legal xsd:string).
  charsAsChildren: true,
  includeWhiteChars: true,
  explicitCharkey: true,
  attrkey: '$',
  charkey: '_',
  childkey: '$$',
  xmlnskey: '$ns',
};

// At most this many parses per document: a hostile body at maxBytes must not buy many re-parses.
const MAX_PARSES = 3;

/**
 * Parse a whole document. Throws only XmlSyntaxError.
 * Undeclared prefixes (seen on CPE fault bodies) are bound to a placeholder URI on the root
 * and the document re-parsed (all of them at once), each one reported in `unbound`.
 */
export function parseXml(text: string): { root: XmlElement; unbound: string[] } {
  const unbound: string[] = [];
  let doc = text;
  for (let parses = 1; ; parses++) {
    const outcome = parseOnce(doc);
    if ('root' in outcome) return { root: outcome.root, unbound };
    const reported = /^Unbound namespace prefix: "([^"]+)"/.exec(outcome.error.message)?.[1]?.split(':')[0];
    const fail = (): never => {
      throw new XmlSyntaxError(firstLine(outcome.error.message), { cause: outcome.error });
    };
    if (reported === undefined || parses >= MAX_PARSES || unbound.includes(reported)) fail();
    const missing = new Set([reported as string, ...undeclaredPrefixes(doc)].filter((p) => !unbound.includes(p)));
    for (const prefix of missing) {
      const bound = bindPrefixOnRoot(doc, prefix);
      if (bound === undefined) fail();
      doc = bound as string;
      unbound.push(prefix);
    }
  }
}

/** Prefixes used on names but declared nowhere in the document (a cheap over-approximation). */
function undeclaredPrefixes(doc: string): string[] {
  const declared = new Set(['xml', 'xmlns']);
  for (const m of doc.matchAll(/xmlns:([A-Za-z_][\w.-]*)\s*=/g)) if (m[1]) declared.add(m[1]);
  const used = new Set<string>();
  for (const m of doc.matchAll(/[<\s/]([A-Za-z_][\w.-]*):[A-Za-z_]/g)) if (m[1] && !declared.has(m[1])) used.add(m[1]);
  return [...used];
}

function parseOnce(text: string): { root: XmlElement } | { error: Error } {
  // xml2js may call back synchronously, throw, or call back twice (error after end):
  // keep the first outcome only.
  let settled: { root: XmlElement; qname: string } | { error: Error } | undefined;
  try {
    const parser = new xml2js.Parser(XML2JS_OPTIONS);
    parser.parseString(text, (err: Error | null, result: unknown) => {
      if (settled) return;
      if (err) settled = { error: err instanceof Error ? err : new Error(String(err)) };
      else if (result === null || typeof result !== 'object') settled = { error: new Error('no root element') };
      else settled = { root: convert(result as RawNode), qname: (result as RawNode)['#name'] };
    });
  } catch (e) {
    // xml2js rethrows what our callback throws (e.g. the depth cap) and may throw on its own;
    // a throw wins over an earlier outcome.
    settled = { error: e instanceof Error ? e : new Error(String(e)) };
  }
  if (settled && 'root' in settled && hasTrailingContent(text, settled.qname)) {
    return { error: new Error('content after the root element') };
  }
  return settled ?? { error: new Error('XML parser did not finish (truncated document?)') };
}

// xml2js stops listening at the root's end tag, so sax's complaints about what follows are
// lost: check the tail ourselves (only whitespace, comments and PIs may follow).
function hasTrailingContent(text: string, rootQName: string): boolean {
  const close = text.lastIndexOf(`</${rootQName}`);
  if (close < 0) return false;
  const end = text.indexOf('>', close);
  const tail = text.slice(end + 1).replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g, '');
  return tail.trim() !== '';
}

// CWMP envelopes nest about 8 deep; a cap keeps hostile nesting from exhausting the stack.
export const MAX_XML_DEPTH = 64;

/** xml2js output (with XML2JS_OPTIONS) to XmlElement; exported for the benchmark. */
export function convert(node: RawNode, depth = 1): XmlElement {
  if (depth > MAX_XML_DEPTH) throw new XmlSyntaxError(`elements nested deeper than ${MAX_XML_DEPTH}`);
  const children: XmlElement[] = [];
  let text = '';
  for (const child of node.$$ ?? []) {
    if (child['#name'] === '__text__') text += child._ ?? '';
    else children.push(convert(child, depth + 1));
  }
  const attrs: XmlAttribute[] = [];
  for (const a of Object.values(node.$ ?? {})) attrs.push({ uri: a.uri ?? '', local: a.local, value: a.value });
  const uri = node.$ns?.uri ?? '';
  return {
    uri: isUnresolvedPrefix(uri, node['#name']) ? UNBOUND_NS_PREFIX + uri : uri,
    local: node.$ns?.local ?? node['#name'],
    attrs,
    children,
    text,
  };
}

// sax stores the bare prefix as the URI when it cannot resolve it (only reached if a
// retry did not bind it, which parseXml prevents; kept as a guard).
function isUnresolvedPrefix(uri: string, qname: string): boolean {
  return uri !== '' && !uri.includes(':') && qname.startsWith(uri + ':');
}

function bindPrefixOnRoot(doc: string, prefix: string): string | undefined {
  if (!/^[A-Za-z_][\w.-]*$/.test(prefix)) return undefined;
  // The root start tag is the first '<' followed by a name character.
  const m = /<[A-Za-z_][\w.:-]*/.exec(doc);
  if (!m) return undefined;
  const at = m.index + m[0].length;
  return `${doc.slice(0, at)} xmlns:${prefix}="${UNBOUND_NS_PREFIX}${prefix}"${doc.slice(at)}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

// ---------------------------------------------------------------------------
// Serialisation helpers (our own minimal writer: the codec emits a fixed shape).

// XML 1.0 Char production: anything else cannot travel, even as a character reference.
// eslint-disable-next-line no-control-regex
const ILLEGAL_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function findIllegalXmlChar(s: string): number {
  const m = ILLEGAL_XML_CHAR.exec(s);
  return m ? m.index : -1;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A literal CR would be normalised to LF by the reader; a reference survives.
  '\r': '&#13;',
};

export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}
