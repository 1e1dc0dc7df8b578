import { DeviceIdError } from './errors.js';

export interface DeviceIdOptions {
  /**
   * Reproduce GenieACS ids byte for byte: escaped bytes below 0x10 get ONE hex digit (TAB => `%9`).
   * Such ids are not always reversible (`%9A` is ambiguous), so only use it to match an existing GenieACS fleet.
   */
  readonly genieCompat?: boolean;
}

export interface DeviceIdParts {
  readonly oui: string;
  readonly productClass: string;
  readonly serialNumber: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function escapeComponent(value: string, genieCompat: boolean): string {
  // cwmp-protocol.md §6.2: every char outside [A-Za-z0-9_] becomes %XX per UTF-8 byte, so `-` stays a separator.
  return value.replace(/[^A-Za-z0-9_]/gu, (ch) =>
    Array.from(encoder.encode(ch), (b) => `%${b.toString(16).toUpperCase().padStart(genieCompat ? 1 : 2, '0')}`).join(''),
  );
}

/**
 * The CPE's globally unique key: `OUI-ProductClass-SerialNumber`, or `OUI-SerialNumber` when ProductClass is
 * empty (TR-069 DeviceIdStruct), each component escaped GenieACS-style.
 */
export function deviceIdFromParts(oui: string, productClass: string, serialNumber: string, options: DeviceIdOptions = {}): string {
  const esc = (s: string) => escapeComponent(s, options.genieCompat ?? false);
  return productClass ? `${esc(oui)}-${esc(productClass)}-${esc(serialNumber)}` : `${esc(oui)}-${esc(serialNumber)}`;
}

function unescapeComponent(component: string, deviceId: string): string {
  if (!/^(?:[A-Za-z0-9_]|%[0-9A-F]{2})*$/.test(component)) {
    throw new DeviceIdError(`not a canonical device id component: ${JSON.stringify(component)}`, deviceId);
  }
  const bytes: number[] = [];
  for (let i = 0; i < component.length; ) {
    if (component[i] === '%') {
      bytes.push(Number.parseInt(component.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(component.charCodeAt(i));
      i += 1;
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new DeviceIdError(`device id component is not UTF-8: ${JSON.stringify(component)}`, deviceId, { cause });
  }
}

/** Inverse of `deviceIdFromParts` (canonical, two-digit escapes only); throws `DeviceIdError` otherwise. */
export function deviceIdToParts(deviceId: string): DeviceIdParts {
  const parts = deviceId.split('-');
  if (parts.length === 3) {
    const [oui, productClass, serialNumber] = parts.map((p) => unescapeComponent(p, deviceId)) as [string, string, string];
    if (productClass === '') throw new DeviceIdError('empty ProductClass must be omitted, not left blank', deviceId);
    return { oui, productClass, serialNumber };
  }
  if (parts.length === 2) {
    const [oui, serialNumber] = parts.map((p) => unescapeComponent(p, deviceId)) as [string, string];
    return { oui, productClass: '', serialNumber };
  }
  throw new DeviceIdError(`expected OUI-ProductClass-Serial or OUI-Serial, got ${parts.length} part(s)`, deviceId);
}
