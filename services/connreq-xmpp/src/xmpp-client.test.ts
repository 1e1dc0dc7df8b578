import { parseXmppService, XmppServiceUriError } from './xmpp-client.js';

describe('parseXmppService', () => {
  it.each([
    ['xmpp://xmpp.example.net', { host: 'xmpp.example.net', port: 5222, directTls: false }],
    ['xmpp://127.0.0.1:15222', { host: '127.0.0.1', port: 15222, directTls: false }],
    ['xmpps://xmpp.example.net', { host: 'xmpp.example.net', port: 5223, directTls: true }],
    ['xmpps://[::1]:5270', { host: '::1', port: 5270, directTls: true }],
  ])('%s', (service, expected) => {
    expect(parseXmppService(service)).toEqual({ service, ...expected });
  });

  it.each(['ws://xmpp.example.net/ws', 'xmpp.example.net:5222', 'xmpp://'])('rejects %s', (service) => {
    expect(() => parseXmppService(service)).toThrow(XmppServiceUriError);
  });
});
