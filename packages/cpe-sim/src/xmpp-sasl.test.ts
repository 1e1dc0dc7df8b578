import { describe, expect, it } from '@jest/globals';
import { XmppError } from './errors.js';
import { Plain, ScramSha1 } from './xmpp-sasl.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

describe('SASL mechanisms of the XMPP client', () => {
  it('SCRAM-SHA-1 reproduces the RFC 5802 §5 example exchange', async () => {
    const scram = new ScramSha1('fyko+d2lbbFgONRv9qkxdawL');
    expect(latin1(await scram.response({ username: 'user', password: 'pencil' }))).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    scram.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(latin1(await scram.response({ username: 'user', password: 'pencil' }))).toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    // The server's proof, when it comes as a challenge, is checked.
    expect(() => scram.challenge('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
    expect(() => scram.challenge('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(XmppError);
  });

  it('SCRAM-SHA-1 escapes the username and refuses a server nonce that does not extend ours', async () => {
    const scram = new ScramSha1('abc');
    expect(latin1(await scram.response({ username: 'a,b=c', password: 'p' }))).toBe('n,,n=a=2Cb=3Dc,r=abc');
    scram.challenge('r=xyz,s=QSXCR+Q6sek8bf92,i=4096');
    await expect(scram.response({ username: 'a,b=c', password: 'p' })).rejects.toMatchObject({ code: 'PROTOCOL' });
  });

  it('PLAIN sends authzid-less credentials, UTF-8 as bytes', () => {
    expect(Buffer.from(new Plain().response({ username: 'cpé', password: 'pw' }), 'latin1').toString('utf8')).toBe('\u0000cpé\u0000pw');
    expect(new ScramSha1().name).toBe('SCRAM-SHA-1');
    expect(new Plain().name).toBe('PLAIN');
  });
});
