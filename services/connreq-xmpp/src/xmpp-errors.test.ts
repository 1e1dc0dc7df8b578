import xml from '@xmpp/xml';
import { XmppStanzaError } from './xmpp-errors.js';

const NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

describe('XmppStanzaError.fromElement', () => {
  it('reads the condition, the text and the type of an RFC 6120 stanza error', () => {
    const e = XmppStanzaError.fromElement(xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS }), xml('text', { xmlns: NS }, 'offline')));
    expect(e).toMatchObject({ code: 'XMPP_STANZA_ERROR', condition: 'service-unavailable', text: 'offline', type: 'cancel' });
    expect(e.message).toBe('XMPP error service-unavailable: offline');
  });

  it('finds the condition after the text and without the namespace (some CPEs)', () => {
    const e = XmppStanzaError.fromElement(xml('error', {}, xml('text', {}, 'bad credentials'), xml('not-autorized')));
    expect(e).toMatchObject({ condition: 'not-autorized', text: 'bad credentials', type: undefined });
  });

  it('prefers the namespaced condition over an application-specific child', () => {
    const e = XmppStanzaError.fromElement(xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS }), xml('app-detail', { xmlns: 'urn:vendor' })));
    expect(e.condition).toBe('bad-request');
  });

  it('names an empty or missing error undefined-condition', () => {
    expect(XmppStanzaError.fromElement(undefined).condition).toBe('undefined-condition');
    expect(XmppStanzaError.fromElement(xml('error', { type: 'cancel' })).condition).toBe('undefined-condition');
  });
});
