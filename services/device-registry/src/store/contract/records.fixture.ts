import type { DeviceUpsert, Parameter } from '../types.js';

export const T0 = Date.UTC(2026, 0, 1);

export function identity(serial: string, productClass = 'GW500', oui = '00259E'): DeviceUpsert {
  return { id: `${oui}-${productClass}-${serial}`, oui, productClass, serialNumber: serial };
}

export const paramsByPath = (params: Parameter[]) => new Map(params.map((p) => [p.path, p]));
