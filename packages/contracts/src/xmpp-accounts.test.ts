import { describe, expect, it } from '@jest/globals';
import { createSubjects } from './subjects.js';
import { parseXmppAccountEnsureReply, parseXmppAccountEnsureRequest, parseXmppAccountRemoveRequest } from './xmpp-accounts.js';

describe('XMPP account payloads', () => {
  it('accepts an ensure request with a localpart and a password', () => {
    expect(parseXmppAccountEnsureRequest({ username: 'cpe-00259e_1', password: 'pw' })).toEqual({
      ok: true,
      value: { username: 'cpe-00259e_1', password: 'pw' },
    });
  });

  it.each([
    ['a JID instead of a localpart', { username: 'cpe@acs.test', password: 'pw' }, 'username'],
    ['a space', { username: 'cpe 1', password: 'pw' }, 'username'],
    ['a slash', { username: 'cpe/1', password: 'pw' }, 'username'],
    ['an empty password', { username: 'cpe1', password: '' }, 'password'],
    ['a password over 256 characters', { username: 'cpe1', password: 'x'.repeat(257) }, 'password'],
  ])('rejects an ensure request with %s', (_what, payload, field) => {
    const r = parseXmppAccountEnsureRequest(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_PAYLOAD');
      expect(r.error.issues[0]?.path).toEqual([field]);
    }
  });

  it('rejects a remove request without a username', () => {
    const r = parseXmppAccountRemoveRequest({});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^invalid XmppAccountRemoveRequest at username/);
  });

  it('parses the ensure reply and insists on bare JIDs', () => {
    const reply = { jid: 'cpe1@acs.test', domain: 'acs.test', server: { address: 'xmpp.acs.test', port: 5222 }, useTLS: true, allowedJids: ['acs@acs.test'] };
    expect(parseXmppAccountEnsureReply(reply)).toEqual({ ok: true, value: reply });
    expect(parseXmppAccountEnsureReply({ ...reply, allowedJids: ['acs@acs.test/acs-1'] }).ok).toBe(false);
    expect(parseXmppAccountEnsureReply({ ...reply, jid: 'cpe1' }).ok).toBe(false);
  });

  it('has its subjects under the prefix, outside every stream', () => {
    const s = createSubjects('tenant1.acs');
    expect(s.xmpp).toEqual({ accountEnsure: 'tenant1.acs.xmpp.account.ensure', accountRemove: 'tenant1.acs.xmpp.account.remove' });
    expect(s.parse(s.xmpp.accountEnsure)).toBeNull();
    for (const def of Object.values(s.streams)) {
      expect(def.subjects.some((p) => s.xmpp.accountEnsure.startsWith(p.replace(/>$/, '')))).toBe(false);
    }
  });
});
