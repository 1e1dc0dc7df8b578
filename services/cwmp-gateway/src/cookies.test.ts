import { describe, expect, it } from '@jest/globals';
import { sessionCookie, sessionIdFromCookies } from './cookies.js';

const ID = 'AbCdEfGhIjKlMnOpQrStUvWx';

describe('session cookie', () => {
  it('is minimal: Path=/ and HttpOnly only', () => {
    expect(sessionCookie(ID)).toBe(`acs_sid=${ID}; Path=/; HttpOnly`);
  });

  it('is found among other cookies with ; or , separators and echoed attributes', () => {
    expect(sessionIdFromCookies(`acs_sid=${ID}`)).toBe(ID);
    expect(sessionIdFromCookies(`other=1; acs_sid=${ID}; Path=/`)).toBe(ID);
    expect(sessionIdFromCookies(`other=1, acs_sid=${ID}, Path=/, HttpOnly`)).toBe(ID);
    expect(sessionIdFromCookies(` acs_sid = "${ID}" `)).toBe(ID);
    expect(sessionIdFromCookies(['x=1', `acs_sid=${ID}`])).toBe(ID);
  });

  it('takes the last well-formed value and ignores values that are not ours', () => {
    expect(sessionIdFromCookies(`acs_sid=${'a'.repeat(20)}; acs_sid=${ID}`)).toBe(ID);
    expect(sessionIdFromCookies(`acs_sid=${ID}; acs_sid=bad value!`)).toBe(ID);
    expect(sessionIdFromCookies('acs_sid=short')).toBeUndefined();
    expect(sessionIdFromCookies('xacs_sid=AbCdEfGhIjKlMnOpQrStUvWx')).toBeUndefined();
    expect(sessionIdFromCookies(undefined)).toBeUndefined();
    expect(sessionIdFromCookies('')).toBeUndefined();
  });
});
