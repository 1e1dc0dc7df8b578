import type { DeviceRecords } from '../store/device-store.js';
import type { Device, EpochMs } from '../store/types.js';

/** TR-069 EventCode of a session the CPE opened because it was asked to (cwmp-protocol §4). */
export const CONNECTION_REQUEST_EVENT = '6 CONNECTION REQUEST';

/** A poke older than this is not what made the CPE call (QA Cafe: the session starts within 30 s; CPEs may be slow). */
export const LAST_POKE_MAX_AGE_MS = 5 * 60_000;

/**
 * The requestId `session.started` should carry: the device's last poke, when the Inform says `6 CONNECTION REQUEST`
 * and that poke is recent. Clock skew between replicas is tolerated both ways.
 */
export function pokeRequestIdFor(
  device: Pick<Device, 'lastPoke'> | null,
  eventCodes: readonly string[],
  now: EpochMs,
  maxAgeMs: number = LAST_POKE_MAX_AGE_MS,
): string | undefined {
  const poke = device?.lastPoke;
  if (!poke || !eventCodes.some((code) => code.trim() === CONNECTION_REQUEST_EVENT)) return undefined;
  return Math.abs(now - poke.at) < maxAgeMs ? poke.requestId : undefined;
}

/** `pokeRequestIdFor` for a device read from the store (undefined for an unknown device). */
export async function lastPokeFor(store: Pick<DeviceRecords, 'getDevice'>, deviceId: string, eventCodes: readonly string[], now: EpochMs): Promise<string | undefined> {
  if (!eventCodes.some((code) => code.trim() === CONNECTION_REQUEST_EVENT)) return undefined;
  return pokeRequestIdFor(await store.getDevice(deviceId), eventCodes, now);
}
