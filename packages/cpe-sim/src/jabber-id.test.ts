import { describe, expect, it } from '@jest/globals';
import { isAllowedJabberId, parseJid } from './jabber-id.js';

describe('ConnReqAllowedJabberIDs matching (TR-069 Annex K)', () => {
  it('an empty list (or one of blanks) allows anyone', () => {
    expect(isAllowedJabberId('anyone@x.test/r', '')).toBe(true);
    expect(isAllowedJabberId('anyone@x.test/r', ' , ')).toBe(true);
  });

  it('a bare JID allows any resource of that account, a full JID only itself', () => {
    const list = 'acs@acs.test, ops@acs.test/console';
    expect(isAllowedJabberId('acs@acs.test/acs-1', list)).toBe(true);
    expect(isAllowedJabberId('acs@acs.test', list)).toBe(true);
    expect(isAllowedJabberId('ops@acs.test/console', list)).toBe(true);
    expect(isAllowedJabberId('ops@acs.test/other', list)).toBe(false);
    expect(isAllowedJabberId('ops@acs.test', list)).toBe(false);
    expect(isAllowedJabberId('mallory@acs.test/acs-1', list)).toBe(false);
  });

  it('local and domain parts compare case-insensitively, resources exactly', () => {
    expect(isAllowedJabberId('ACS@Acs.Test/x', 'acs@acs.test')).toBe(true);
    expect(isAllowedJabberId('ops@acs.test/Console', 'ops@acs.test/console')).toBe(false);
    expect(parseJid(' A@B/C/d ')).toEqual({ bare: 'a@b', resource: 'C/d' });
  });
});
