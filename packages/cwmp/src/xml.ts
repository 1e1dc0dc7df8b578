// The only module that knows the XML parser (saxes). Everything else sees `XmlElement`.
// Why saxes and not xml2js (docs/benchmarks.md, Codec): xml2js with namespaces is quadratic on hostile
// but legal bodies (attribute checks, namespace copies) and builds the whole tree before anyone can count;
// saxes streams, checks well-formedness (XML 1.0 characters included) and lets us stop while parsing.
import { SaxesParser, type SaxesOptions, type SaxesTagNS } from 'saxes';

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

/** A legal document that is bigger than we agree to hold: answered like an oversized body. */
export class XmlLimitError extends Error {
  override readonly name = 'XmlLimitError';
}

/**
 * Bounds enforced while parsing, so that cost stays linear in the body and memory bounded.
 * CWMP envelopes nest about 8 deep and carry a handful of attributes per element; a 20,000-parameter
 * GetParameterNamesResponse is ~60,000 elements.
 */
export interface XmlLimits {
  readonly maxDepth: number;
  readonly maxElements: number;
  /** Per element, namespace declarations included (so they bound the scopes a lookup walks). */
  readonly maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 64, maxElements: 100_000, maxAttributes: 64 };

/** The tree and the prefixes that were used without a declaration (seen on CPE fault bodies). */
export interface ParsedXml {
  root: XmlElement;
  unbound: string[];
}

const SAXES_OPTIONS = { xmlns: true, position: false } as const satisfies SaxesOptions;

/** Builds the tree from saxes events, counting as it goes; one instance per document. */
class TreeBuilder {
  private readonly parser: SaxesParser<typeof SAXES_OPTIONS>;
  private readonly stack: XmlElement[] = [];
  private readonly unbound = new Set<string>();
  private root: XmlElement | undefined;
  private elements = 0;
  private attributes = 0;

  constructor(private readonly limits: XmlLimits) {
    this.parser = new SaxesParser({
      ...SAXES_OPTIONS,
      resolvePrefix: (prefix: string) => {
        // '' is an unqualified name with no default namespace in scope: no namespace, not an error.
        if (prefix === '') return undefined;
        this.unbound.add(prefix);
        return UNBOUND_NS_PREFIX + prefix;
      },
    });
    const p = this.parser;
    // saxes calls these synchronously from write(): a throw here stops the parse at once. No 'error' handler:
    // saxes throws by itself then, and registering one made every parse ~4x slower (measured, saxes 6.0).
    p.on('opentagstart', () => {
      if (++this.elements > limits.maxElements) throw new XmlLimitError(`more than ${limits.maxElements} elements`);
      if (this.stack.length >= limits.maxDepth) throw new XmlLimitError(`elements nested deeper than ${limits.maxDepth}`);
      this.attributes = 0;
    });
    // As each attribute is read, not at the end of its tag: saxes resolves a tag's attributes in one go.
    p.on('attribute', () => {
      if (++this.attributes > limits.maxAttributes) throw new XmlLimitError(`more than ${limits.maxAttributes} attributes on one element`);
    });
    p.on('opentag', (tag) => this.open(tag));
    p.on('closetag', () => {
      this.stack.pop();
    });
    p.on('text', (text) => this.addText(text));
    p.on('cdata', (text) => this.addText(text));
  }

  write(chunk: string): void {
    syntaxErrors(() => this.parser.write(chunk));
  }

  finish(): ParsedXml {
    syntaxErrors(() => this.parser.close());
    if (this.root === undefined) throw new XmlSyntaxError('no root element');
    return { root: this.root, unbound: [...this.unbound] };
  }

  private open(tag: SaxesTagNS): void {
    const attrs: XmlAttribute[] = [];
    for (const a of Object.values(tag.attributes)) attrs.push({ uri: a.uri, local: a.local, value: a.value });
    const el: XmlElement = { uri: tag.uri, local: tag.local, attrs, children: [], text: '' };
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(el);
    else this.root = el;
    // saxes sends closetag for a self-closing tag too, right after this.
    this.stack.push(el);
  }

  private addText(text: string): void {
    // Outside the root only whitespace reaches us (saxes rejects the rest).
    const top = this.stack[this.stack.length - 1];
    if (top) top.text += text;
  }
}

/** saxes' own errors (well-formedness) as XmlSyntaxError; our limit errors pass through. */
function syntaxErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof XmlLimitError) throw e;
    throw new XmlSyntaxError(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** Parse a whole document in one go. Throws only XmlSyntaxError and XmlLimitError. */
export function parseXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): ParsedXml {
  const builder = new TreeBuilder(limits);
  builder.write(text);
  return builder.finish();
}

/** Characters parsed between two yields: a few ms of CPU at most, even for the densest markup. */
export const YIELD_EVERY_CHARS = 16 * 1024;

/**
 * Like parseXml, but gives the event loop back every YIELD_EVERY_CHARS characters, so that a large
 * body never stalls the other requests a server is serving.
 */
export async function parseXmlYielding(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Promise<ParsedXml> {
  const builder = new TreeBuilder(limits);
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + YIELD_EVERY_CHARS);
    // Never split a surrogate pair between two writes.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end += 1;
    builder.write(text.slice(at, end));
    at = end;
    if (at < text.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return builder.finish();
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

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
