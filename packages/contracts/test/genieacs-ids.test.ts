import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { decodeSubjectToken, deviceIdFromParts, deviceIdToParts, encodeSubjectToken } from '../src/index.js';

// Parameter dumps of real CPEs exported from GenieACS (shared/data/vendor-models): their `DeviceID.ID` rows are
// the ids GenieACS built from `DeviceID.OUI/ProductClass/SerialNumber`, so they check our escaping against the real thing.
const modelsDir = new URL('../../../../shared/data/vendor-models/', import.meta.url);

interface Row {
  Parameter: string;
  Value: string;
}

function deviceIdRows(file: string): Record<string, string> {
  const rows = parse(readFileSync(new URL(file, modelsDir)), { columns: true, skip_empty_lines: true, relax_column_count: true }) as Row[];
  return Object.fromEntries(rows.filter((r) => r.Parameter.startsWith('DeviceID.')).map((r) => [r.Parameter.slice('DeviceID.'.length), r.Value]));
}

const dumps = readdirSync(modelsDir)
  .filter((f) => f.endsWith('.csv'))
  .map((file) => ({ file, id: deviceIdRows(file) }))
  .filter(({ id }) => id.ID !== undefined);

describe('device ids of real GenieACS dumps', () => {
  it('finds dumps carrying DeviceID rows, including ProductClasses with "-" and " "', () => {
    expect(dumps.length).toBeGreaterThanOrEqual(3);
    expect(dumps.some(({ id }) => id.ProductClass?.includes('-'))).toBe(true);
    expect(dumps.some(({ id }) => id.ProductClass?.includes(' '))).toBe(true);
  });

  it.each(dumps.map((d) => [d.file, d.id] as const))('%s: rebuilds DeviceID.ID from its parts and back', (_file, id) => {
    const built = deviceIdFromParts(id.OUI ?? '', id.ProductClass ?? '', id.SerialNumber ?? '');
    expect(built).toBe(id.ID);
    expect(deviceIdFromParts(id.OUI ?? '', id.ProductClass ?? '', id.SerialNumber ?? '', { genieCompat: true })).toBe(id.ID);
    expect(deviceIdToParts(built)).toEqual({ oui: id.OUI, productClass: id.ProductClass, serialNumber: id.SerialNumber });
    expect(decodeSubjectToken(encodeSubjectToken(built))).toBe(built);
    expect(encodeSubjectToken(built)).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
