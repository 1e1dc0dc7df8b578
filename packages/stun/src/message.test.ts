import { describe, expect, it } from '@jest/globals';
import { appendMessageIntegrity, verifyMessageIntegrity } from './integrity.js';
import { BindingResponseCache, decodeStunMessage, encodeBindingError, encodeBindingRequest, encodeBindingResponse, newTransactionId, readBindingRequest } from './message.js';

// RFC 5769 §2.1: a Binding Request with USERNAME, MESSAGE-INTEGRITY (RFC 5389 input) and FINGERPRINT.
const RFC5769_REQUEST = Buffer.from(
  '000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74' +
    '002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014' +
    '9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf',
  'hex',
);
const RFC5769_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';

describe('decodeStunMessage', () => {
  it('reads the RFC 5769 sample request and verifies its integrity as RFC 5389', () => {
    const message = decodeStunMessage(RFC5769_REQUEST);
    expect(message).toMatchObject({ kind: 'binding-request', legacy: false, username: 'evtj:h6vY', hasIntegrity: true, connectionRequestBinding: false });
    expect(verifyMessageIntegrity(RFC5769_REQUEST, RFC5769_PASSWORD)).toBe('rfc5389');
    expect(verifyMessageIntegrity(RFC5769_REQUEST, 'wrong')).toBeNull();
  });

  it('returns null for what is not STUN, never throwing', () => {
    for (const junk of [Buffer.alloc(0), Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(19), RFC5769_REQUEST.subarray(0, 50), Buffer.from('ffff0000', 'hex')]) {
      expect(decodeStunMessage(junk)).toBeNull();
    }
    const lying = Buffer.from(RFC5769_REQUEST);
    lying.writeUInt16BE(0x0010, 22); // SOFTWARE claims 16 of its 16 bytes: fine; now break the walk
    lying.writeUInt16BE(0x0400, 22);
    expect(decodeStunMessage(lying)).toBeNull();
  });
});

describe('TR-111 Binding Requests', () => {
  it.each([true, false])('carry CONNECTION-REQUEST-BINDING, BINDING-CHANGE and USERNAME (legacy %s)', (legacy) => {
    const request = encodeBindingRequest({ legacy, connectionRequestBinding: true, bindingChange: true, username: 'cpe-1' });
    expect(decodeStunMessage(request)).toMatchObject({ kind: 'binding-request', legacy, username: 'cpe-1', connectionRequestBinding: true, bindingChange: true, hasIntegrity: false });
  });

  it('sign with the RFC 3489 input when legacy and the RFC 5389 input otherwise', () => {
    const legacy = encodeBindingRequest({ legacy: true, connectionRequestBinding: true, username: 'cpe-1', password: 'pw' });
    const modern = encodeBindingRequest({ connectionRequestBinding: true, username: 'cpe-1', password: 'pw' });
    expect(verifyMessageIntegrity(legacy, 'pw')).toBe('rfc3489');
    expect(verifyMessageIntegrity(modern, 'pw')).toBe('rfc5389');
    expect(verifyMessageIntegrity(legacy, 'pW')).toBeNull();
  });

  it('refuse integrity that does not cover a later attribute', () => {
    const signed = encodeBindingRequest({ username: 'cpe-1', password: 'pw' });
    const extra = Buffer.concat([signed, Buffer.from('c0020000', 'hex')]);
    extra.writeUInt16BE(extra.length - 20, 2);
    expect(verifyMessageIntegrity(extra, 'pw')).toBeNull();
    const tampered = Buffer.from(signed);
    tampered[tampered.length - 30] = tampered[tampered.length - 30]! ^ 1;
    expect(verifyMessageIntegrity(tampered, 'pw')).toBeNull();
  });

  it('pads icwmp-style usernames with spaces, read back without them', () => {
    const padded = appendMessageIntegrity(encodeBindingRequest({ legacy: true, username: 'ab  ' }), 'k', 'rfc3489');
    expect(decodeStunMessage(padded)?.username).toBe('ab');
  });
});

describe('responses', () => {
  it('report XOR-MAPPED-ADDRESS and MAPPED-ADDRESS to an RFC 5389 client, echoing its transaction', () => {
    const request = decodeStunMessage(encodeBindingRequest())!;
    const response = encodeBindingResponse(request, { address: '198.51.100.7', port: 40123 });
    const decoded = decodeStunMessage(response)!;
    expect(decoded).toMatchObject({ kind: 'binding-response', legacy: false, mappedAddress: { address: '198.51.100.7', port: 40123 } });
    expect(decoded.transactionId.equals(request.transactionId)).toBe(true);
    expect(response.includes(Buffer.from('0020', 'hex'), 20)).toBe(true);
  });

  it('report only MAPPED-ADDRESS to an RFC 3489 client and echo all 128 bits of its transaction id', () => {
    const id = newTransactionId(true);
    const request = decodeStunMessage(encodeBindingRequest({ legacy: true, transactionId: id }))!;
    const response = encodeBindingResponse(request, { address: '10.0.0.9', port: 7547 });
    expect(response.subarray(4, 20).equals(id)).toBe(true);
    expect(response.readUInt16BE(2)).toBe(12);
    expect(response.readUInt16BE(20)).toBe(0x0001);
    expect(decodeStunMessage(response)?.mappedAddress).toEqual({ address: '10.0.0.9', port: 7547 });
  });

  it('carry a 401 that the decoder reads as 401', () => {
    const request = decodeStunMessage(encodeBindingRequest({ legacy: true }))!;
    const error = decodeStunMessage(encodeBindingError(request, 401, 'Unauthorized'))!;
    expect(error).toMatchObject({ kind: 'binding-error', errorCode: 401 });
    expect(error.transactionId.equals(request.transactionId)).toBe(true);
  });

  it('refuse to report what is not an IP address', () => {
    const request = decodeStunMessage(encodeBindingRequest())!;
    expect(() => encodeBindingResponse(request, { address: 'example.net', port: 1 })).toThrow(TypeError);
  });
});

describe('BindingResponseCache', () => {
  it.each([
    [true, '10.0.0.9'],
    [false, '198.51.100.7'],
    [false, '2001:db8::7'],
  ])('answers exactly as encodeBindingResponse does (legacy %s, %s), for every transaction', (legacy, address) => {
    const cache = new BindingResponseCache(10);
    for (let i = 0; i < 3; i++) {
      const request = decodeStunMessage(encodeBindingRequest({ legacy }))!;
      expect(cache.encode(request, { address, port: 40_123 }).equals(encodeBindingResponse(request, { address, port: 40_123 }))).toBe(true);
    }
  });

  it('keeps at most its bound of addresses', () => {
    const cache = new BindingResponseCache(2);
    const request = decodeStunMessage(encodeBindingRequest({ legacy: true }))!;
    for (const port of [1, 2, 3, 1]) expect(decodeStunMessage(cache.encode(request, { address: '10.0.0.1', port }))?.mappedAddress?.port).toBe(port);
  });
});

describe('readBindingRequest', () => {
  it.each([
    [{ legacy: true, connectionRequestBinding: true, bindingChange: true, username: 'cpe-1' }],
    [{ connectionRequestBinding: true, username: 'cpe-1', password: 'pw' }],
    [{ legacy: true }],
  ])('reads what decodeStunMessage reads from a Binding Request (%j)', (options) => {
    const request = encodeBindingRequest(options);
    const fast = readBindingRequest(request);
    const full = decodeStunMessage(request)!;
    expect(fast).toEqual({ ...full, transactionId: fast?.transactionId });
    expect(fast?.transactionId.equals(full.transactionId)).toBe(true);
  });

  it('refuses answers, junk and truncated requests', () => {
    const request = decodeStunMessage(encodeBindingRequest())!;
    expect(readBindingRequest(encodeBindingResponse(request, { address: '10.0.0.1', port: 1 }))).toBeNull();
    expect(readBindingRequest(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeNull();
    expect(readBindingRequest(encodeBindingRequest({ username: 'abc' }).subarray(0, 24))).toBeNull();
  });
});
