// registry.stun.device: connreq-stun asks, per Binding Request it cannot place yet, whose STUN username this is and on
// what terms. One device read; the type from a short-lived cache, since every CPE of a type asks the same question.
import type { StunDeviceReply, StunDeviceRequest } from '@acs/contracts';
import type { DeviceRecords, DeviceTypeStore } from '../store/device-store.js';
import type { DeviceType, EpochMs } from '../store/types.js';

/** The username is not a device's, or its type sets up no STUN: connreq-stun treats the sender as unknown. */
export class StunDeviceNotFoundError extends Error {
  override readonly name = 'StunDeviceNotFoundError';
  readonly code = 'NOT_FOUND';
}

export type StunLookupStore = Pick<DeviceRecords, 'getDevice'> & Pick<DeviceTypeStore, 'getDeviceType'>;

/** A policy change reaches connreq-stun within this time; long enough that a fleet's keep-alives read each type rarely. */
export const TYPE_CACHE_TTL_MS = 10_000;
const TYPE_CACHE_MAX = 1_000;

export interface StunLookup {
  stunDevice(req: StunDeviceRequest): Promise<StunDeviceReply>;
}

export function createStunLookup(store: StunLookupStore, clock: () => EpochMs, ttlMs = TYPE_CACHE_TTL_MS): StunLookup {
  const types = new Map<string, { type: DeviceType | null; until: EpochMs }>();

  async function typeOf(id: string): Promise<DeviceType | null> {
    const now = clock();
    const hit = types.get(id);
    if (hit !== undefined && hit.until > now) return hit.type;
    const type = await store.getDeviceType(id);
    // Map order is insertion order: the oldest entry goes first.
    if (types.size >= TYPE_CACHE_MAX) types.delete(types.keys().next().value as string);
    types.delete(id);
    types.set(id, { type, until: now + ttlMs });
    return type;
  }

  return {
    async stunDevice(req) {
      // provisionStun sets STUNUsername to what connreq-stun issued, and connreq-stun issues the device id.
      const device = await store.getDevice(req.username);
      if (device === null) throw new StunDeviceNotFoundError(`no device ${req.username}`);
      const stun = device.deviceTypeId === null ? null : (await typeOf(device.deviceTypeId))?.connectionRequestPolicy.stun;
      if (!stun) throw new StunDeviceNotFoundError(`device ${req.username} has no STUN policy`);
      return { deviceId: device.id, requireAuth: stun.requireAuth, maximumKeepAlivePeriod: stun.maximumKeepAlivePeriod };
    },
  };
}
