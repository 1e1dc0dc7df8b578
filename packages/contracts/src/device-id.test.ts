import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { deviceIdFromParts, deviceIdToParts } from './device-id.js';
import { DeviceIdError } from './errors.js';

// Any well-formed Unicode text (no lone surrogates). Cheaper to warm up than fast-check's 'binary' unit.
// Weighted towards the characters that matter to subjects and ids.
const codePoint = fc.oneof(
  fc.constantFrom('.', '*', '>', ' ', '%', '-', '_', '\t', '\u0000'),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)),
);
const anyText = (maxLength = 40) => fc.string({ unit: codePoint, maxLength });

describe('deviceIdFromParts', () => {
  it('joins OUI, ProductClass and SerialNumber with "-"', () => {
    expect(deviceIdFromParts('00259E', 'HG8245H', '4857544300000001')).toBe('00259E-HG8245H-4857544300000001');
  });

  it('omits an empty ProductClass', () => {
    expect(deviceIdFromParts('00259E', '', 'ABC123')).toBe('00259E-ABC123');
  });

  it('escapes every char outside [A-Za-z0-9_] as %XX per UTF-8 byte, including the separator', () => {
    expect(deviceIdFromParts('00D09E', 'Home-Gateway v2', 'SN.1/2')).toBe('00D09E-Home%2DGateway%20v2-SN%2E1%2F2');
    expect(deviceIdFromParts('A', 'é', '😀')).toBe('A-%C3%A9-%F0%9F%98%80');
    expect(deviceIdFromParts('A', 'under_score', '%')).toBe('A-under_score-%25');
  });

  it('zero-pads escapes by default and reproduces the GenieACS single-digit quirk on request', () => {
    expect(deviceIdFromParts('A', 'B', 'x\ty')).toBe('A-B-x%09y');
    expect(deviceIdFromParts('A', 'B', 'x\ty', { genieCompat: true })).toBe('A-B-x%9y');
    // Above 0x0F both forms agree.
    expect(deviceIdFromParts('A', 'B', 'a b', { genieCompat: true })).toBe('A-B-a%20b');
  });

  it('round-trips arbitrary Unicode parts through deviceIdToParts, with "-" as the only separator', () => {
    fc.assert(
      fc.property(anyText(), anyText(), anyText(), (oui, productClass, serialNumber) => {
        const id = deviceIdFromParts(oui, productClass, serialNumber);
        expect(id).toMatch(/^[A-Za-z0-9_%-]*$/);
        expect(id.split('-')).toHaveLength(productClass ? 3 : 2);
        expect(deviceIdToParts(id)).toEqual({ oui, productClass, serialNumber });
      }),
      { numRuns: 500 },
    );
  });
});

describe('deviceIdToParts', () => {
  it('rejects ids that are not canonical', () => {
    for (const bad of ['onlyone', 'a-b-c-d', 'a-%zz-c', 'a-b c-d', 'a--c', 'a-%9-c', 'A-%FF-B']) {
      expect(() => deviceIdToParts(bad)).toThrow(DeviceIdError);
    }
  });

  it('carries the offending id and a code', () => {
    const error = (() => {
      try {
        deviceIdToParts('x');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DeviceIdError);
    expect((error as DeviceIdError).code).toBe('INVALID_DEVICE_ID');
    expect((error as DeviceIdError).deviceId).toBe('x');
  });
});
