import type { SessionStore } from '@acs/kv';
import type { StunBindingReason } from '@acs/contracts';

/** A CPE's NAT binding as the STUN server saw it: where its keep-alives come from, and which replica they reach. */
export interface Binding {
  readonly host: string;
  readonly port: number;
  /** Epoch ms this address was first seen (a move starts it again). */
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** The connreq-stun replica whose socket the keep-alives reach: connection requests must leave from it. */
  readonly replica: string;
}

export interface BindingChange {
  readonly binding: Binding;
  readonly reason: StunBindingReason;
  readonly previous?: { readonly host: string; readonly port: number };
}

export interface BindingStore {
  /**
   * Records a keep-alive. Returns the change when the address is new or moved (to announce), otherwise `null`.
   * Steady keep-alives cost no kv write until a third of the TTL has passed, so a million CPEs do not mean a
   * million writes per keep-alive period.
   */
  observe(deviceId: string, seen: { host: string; port: number; bindingChange: boolean }, ttlMs: number): Promise<BindingChange | null>;
  /** The live binding (its TTL not run out), from any replica. */
  get(deviceId: string): Promise<Binding | null>;
}

export interface BindingStoreOptions {
  /** Shared by the replicas (Redis in production). Keys are device ids. */
  readonly store: SessionStore<Binding>;
  readonly replica: string;
  /** In-process entries that suppress repeated writes; the oldest go first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

export function createBindingStore(options: BindingStoreOptions): BindingStore {
  const { store, replica } = options;
  const now = options.now ?? Date.now;
  const written = new Map<string, { binding: Binding; writtenAt: number }>();

  function keep(deviceId: string, binding: Binding, at: number): void {
    written.delete(deviceId);
    written.set(deviceId, { binding, writtenAt: at });
    if (written.size > options.maxEntries) written.delete(written.keys().next().value!);
  }

  return {
    async observe(deviceId, seen, ttlMs) {
      const at = now();
      const local = written.get(deviceId);
      const same = (b: Binding | null | undefined) => b !== null && b !== undefined && b.host === seen.host && b.port === seen.port;
      if (local && same(local.binding) && at - local.writtenAt < ttlMs / 3) return null;
      // After a restart (or a CPE that moved to this replica) the shared record says what is already announced.
      const before = local?.binding ?? (await store.get(deviceId));
      const binding: Binding = {
        host: seen.host,
        port: seen.port,
        firstSeenAt: same(before) ? before!.firstSeenAt : at,
        lastSeenAt: at,
        replica,
      };
      await store.put(deviceId, binding, ttlMs);
      keep(deviceId, binding, at);
      if (same(before)) return null;
      const reason: StunBindingReason = before === null || before === undefined ? 'new' : seen.bindingChange ? 'binding-change' : 'moved';
      return { binding, reason, ...(before ? { previous: { host: before.host, port: before.port } } : {}) };
    },
    get: (deviceId) => store.get(deviceId),
  };
}

/** How long a binding is trusted without a keep-alive: two maximum periods and a margin (none: 10 minutes). */
export function bindingTtlMs(maximumKeepAlivePeriodS: number): number {
  return maximumKeepAlivePeriodS > 0 ? (2 * maximumKeepAlivePeriodS + 30) * 1000 : 600_000;
}
