import type { Element } from '@xmpp/xml';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The session is not online (connecting, between reconnects, stopped), or it went down while a request waited. */
export class XmppSessionDownError extends Error {
  override readonly name = 'XmppSessionDownError';
  readonly code = 'XMPP_SESSION_DOWN' as const;
}

/** No reply to an IQ within its time. */
export class XmppTimeoutError extends Error {
  override readonly name = 'XmppTimeoutError';
  readonly code = 'XMPP_TIMEOUT' as const;
  constructor(readonly timeoutMs: number) {
    super(`no XMPP reply within ${timeoutMs} ms`);
  }
}

/** An IQ answered with `type="error"`: the stanza error's condition (`service-unavailable`...) and text. */
export class XmppStanzaError extends Error {
  override readonly name = 'XmppStanzaError';
  readonly code = 'XMPP_STANZA_ERROR' as const;
  constructor(
    readonly condition: string,
    readonly text: string | undefined,
    /** RFC 6120 error type (`cancel`, `auth`, `modify`, `wait`); CPEs use it loosely. */
    readonly type: string | undefined,
  ) {
    super(`XMPP error ${condition}${text ? `: ${text}` : ''}`);
  }

  /**
   * Reads `<error>` leniently: the condition is its first child other than `<text>`, in the stanzas namespace or
   * not (some CPEs omit it), and whatever it is called (icwmp answers `not-autorized`).
   */
  static fromElement(error: Element | undefined): XmppStanzaError {
    const children = error?.getChildElements() ?? [];
    const condition = children.find((c) => c.name !== 'text' && c.getNS() === NS_STANZAS) ?? children.find((c) => c.name !== 'text');
    const text = error?.getChildText('text', NS_STANZAS) ?? error?.getChildText('text') ?? undefined;
    return new XmppStanzaError(condition?.name ?? 'undefined-condition', text === '' ? undefined : text, error?.attrs.type);
  }
}
