import { describe, expect, it } from '@jest/globals';
import {
  UdpConnectionRequestGuard,
  encodeUdpConnectionRequest,
  newUdpConnectionRequestFields,
  parseUdpConnectionRequest,
  udpConnectionRequestSignature,
  type UdpConnectionRequest,
} from './udp-connection-request.js';

const fields = { ts: 1_700_000_000, id: 4242, un: 'cpeuser', cn: 'a1b2c3d4e5f60718' };

function parsed(datagram: Buffer): UdpConnectionRequest {
  const result = parseUdpConnectionRequest(datagram);
  if (!result.ok) throw new Error(result.reason);
  return result.request;
}

describe('Annex G UDP connection requests', () => {
  it('sign ts + id + un + cn with HMAC-SHA1 (the protocol notes test vector)', () => {
    expect(udpConnectionRequestSignature(fields, 's3cret')).toBe('de73ae9d0a253a3a5bffe1eef03f762fd4307e81');
  });

  it('are one GET line with an absolute URI, a Host header and a blank line', () => {
    const datagram = encodeUdpConnectionRequest({ host: '198.51.100.7', port: 40123 }, fields, 's3cret').toString('latin1');
    expect(datagram).toBe(
      'GET http://198.51.100.7:40123?ts=1700000000&id=4242&un=cpeuser&cn=a1b2c3d4e5f60718&sig=de73ae9d0a253a3a5bffe1eef03f762fd4307e81 HTTP/1.1\r\nHost: 198.51.100.7:40123\r\n\r\n',
    );
    expect(parsed(Buffer.from(datagram, 'latin1'))).toEqual({ host: '198.51.100.7', port: 40123, ...fields, sig: 'de73ae9d0a253a3a5bffe1eef03f762fd4307e81' });
  });

  it('bracket IPv6 targets and parse them back', () => {
    const request = parsed(encodeUdpConnectionRequest({ host: '2001:db8::7', port: 9 }, fields, 'x'));
    expect(request).toMatchObject({ host: '2001:db8::7', port: 9 });
  });

  it.each([
    ['POST http://a:1?ts=1&id=1&un=u&cn=c&sig=' + '0'.repeat(40) + ' HTTP/1.1\r\n\r\n', 'GET'],
    ['GET /relative?ts=1 HTTP/1.1\r\n\r\n', 'absolute'],
    ['GET http://a:1?ts=x&id=1&un=u&cn=c&sig=' + '0'.repeat(40) + ' HTTP/1.1\r\n\r\n', 'ts'],
    ['GET http://a:1?ts=1&id=99999999999&un=u&cn=c&sig=' + '0'.repeat(40) + ' HTTP/1.1\r\n\r\n', 'id'],
    ['GET http://a:1?ts=1&id=1&un=u&sig=' + '0'.repeat(40) + ' HTTP/1.1\r\n\r\n', 'missing'],
    ['GET http://a:1?ts=1&id=1&un=u&cn=c&sig=zz HTTP/1.1\r\n\r\n', 'hex'],
    ['\u0000\u0001garbage', 'GET'],
  ])('refuse %j with a reason', (datagram, reason) => {
    const result = parseUdpConnectionRequest(Buffer.from(datagram, 'latin1'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('refuse oversized datagrams', () => {
    expect(parseUdpConnectionRequest(Buffer.alloc(4096, 0x41)).ok).toBe(false);
  });
});

describe('UdpConnectionRequestGuard', () => {
  const expected = { username: 'cpeuser', password: 's3cret' };
  const now = fields.ts * 1000 + 500;

  it('accepts a signed request once; its repeats are duplicates and a replay later is stale', () => {
    const guard = new UdpConnectionRequestGuard();
    const request = parsed(encodeUdpConnectionRequest({ host: 'h', port: 1 }, fields, 's3cret'));
    expect(guard.judge(request, expected, now)).toBe('accept');
    expect(guard.judge(request, expected, now)).toBe('duplicate');
    expect(guard.judge({ ...request, id: 7 }, expected, now)).toBe('stale');
    const next = parsed(encodeUdpConnectionRequest({ host: 'h', port: 1 }, { ...fields, ts: fields.ts + 1, id: 7 }, 's3cret'));
    expect(guard.judge(next, expected, now + 1000)).toBe('accept');
  });

  it('refuses a wrong signature, a wrong username and a clock far off', () => {
    const guard = new UdpConnectionRequestGuard({ maxAgeS: 60 });
    const wrongKey = parsed(encodeUdpConnectionRequest({ host: 'h', port: 1 }, fields, 'guess'));
    expect(guard.judge(wrongKey, expected, now)).toBe('bad_signature');
    const otherUser = parsed(encodeUdpConnectionRequest({ host: 'h', port: 1 }, { ...fields, un: 'x' }, 's3cret'));
    expect(guard.judge(otherUser, expected, now)).toBe('bad_username');
    const right = parsed(encodeUdpConnectionRequest({ host: 'h', port: 1 }, fields, 's3cret'));
    expect(guard.judge(right, expected, now + 3_600_000)).toBe('stale');
    // Refusals leave no state: the right request is still accepted at the right time.
    expect(guard.judge(right, expected, now)).toBe('accept');
  });

  it('gets fresh fields for every request', () => {
    const a = newUdpConnectionRequestFields('u', Date.now());
    const b = newUdpConnectionRequestFields('u', Date.now());
    expect(a.cn).toMatch(/^[0-9a-f]{16}$/);
    expect(a.id === b.id && a.cn === b.cn).toBe(false);
  });
});
