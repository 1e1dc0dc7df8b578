// Property: for every message type, decode(encode(envelope)) gives the envelope back.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CwmpEncodeError, decode, encode, type CwmpMethodName } from '../src/index.js';
import { envelopeOf, MESSAGES } from './arbitraries.js';
import { SAMPLES } from './samples.js';

const NAMES = Object.keys(MESSAGES) as CwmpMethodName[];

describe('encode -> decode is the identity', () => {
  test.each(NAMES)('%s', (name) => {
    fc.assert(
      fc.property(envelopeOf(name), (envelope) => {
        const d = decode(encode(envelope));
        if (d.kind === 'empty') throw new Error('decoded as empty');
        expect(d.envelope).toEqual(envelope);
        expect(d.kind).toBe(name === 'Fault' ? 'fault' : name.endsWith('Response') ? 'response' : 'request');
      }),
      { numRuns: 60 },
    );
  });

  test('same through a Buffer (UTF-8 bytes)', () => {
    fc.assert(
      fc.property(envelopeOf('GetParameterValuesResponse'), (envelope) => {
        const d = decode(Buffer.from(encode(envelope), 'utf8'));
        expect(d.kind === 'empty' ? undefined : d.envelope).toEqual(envelope);
      }),
      { numRuns: 100 },
    );
  });
});

describe('encode refuses what XML 1.0 cannot carry', () => {
  test.each(['\u0000', '\u0001', '\u001b', '\uFFFE', '\uD800', 'a\uDC00'])('%j', (bad) => {
    const envelope = {
      cwmpNamespace: 'urn:dslforum-org:cwmp-1-0',
      header: {},
      body: { name: 'Reboot' as const, commandKey: `x${bad}y` },
    };
    expect(() => encode(envelope)).toThrow(CwmpEncodeError);
  });

  test.each([1.5, -1, 2 ** 32, Number.NaN])('MaxEnvelopes %d is refused (not an unsignedInt)', (maxEnvelopes) => {
    const envelope = { cwmpNamespace: 'urn:dslforum-org:cwmp-1-0', header: {}, body: { name: 'InformResponse' as const, maxEnvelopes } };
    expect(() => encode(envelope)).toThrow(CwmpEncodeError);
  });

  test('int elements take negatives but not beyond 32 bits', () => {
    const window = { windowStart: 0, windowEnd: 1, windowMode: '1 At Any Time', userMessage: '', maxRetries: -1 };
    const body = { ...SAMPLES.ScheduleDownload, timeWindowList: [window] };
    expect(encode({ cwmpNamespace: 'urn:dslforum-org:cwmp-1-2', header: {}, body })).toContain('<MaxRetries>-1</MaxRetries>');
    const tooBig = { ...body, timeWindowList: [{ ...window, maxRetries: 2 ** 31 }] };
    expect(() => encode({ cwmpNamespace: 'urn:dslforum-org:cwmp-1-2', header: {}, body: tooBig })).toThrow(CwmpEncodeError);
  });
});
