import type { Bus } from '@acs/bus';
import type { Subjects } from '@acs/contracts';
import type { Logger } from '@acs/telemetry';
import type { SecretBox } from './secrets.js';
import type { DeviceStore } from './store/device-store.js';
import type { EpochMs } from './store/types.js';
import type { StunCredentials } from './stun/credentials.js';
import type { XmppAccounts } from './xmpp/accounts.js';

/** Milliseconds since the epoch; injected so tests control expiry and timestamps. */
export type Clock = () => EpochMs;

/** How the registry runs tasks it did not get from an operator, and how it retries. */
export interface RegistryPolicy {
  /** Attempts (sessions) a system task gets before it ends in `fault`. */
  maxAttempts: number;
  /** Lifetime of a system task; 0 = never expires. */
  taskTtlMs: number;
  /** Names per GetParameterValues when a `refresh` reads a subtree. */
  refreshBatch: number;
  /** A Download answered with Status 1 that sees no TransferComplete within this time ends in `fault`. */
  transferTimeoutMs: number;
}

export const DEFAULT_POLICY: RegistryPolicy = {
  maxAttempts: 3,
  taskTtlMs: 7 * 24 * 3_600_000,
  refreshBatch: 100,
  // GenieACS's cwmp.downloadTimeout (cwmp-protocol §4.3).
  transferTimeoutMs: 3_600_000,
};

/**
 * Everything the registry's domain logic needs; ports only, built by main.ts or the all-in-one app. `Store` names the
 * store roles a function uses (the whole DeviceStore by default).
 */
export interface RegistryDeps<Store = DeviceStore> {
  store: Store;
  bus: Bus;
  subjects: Subjects;
  secretBox: SecretBox;
  /** Digest realm; must equal the gateway's CWMP_AUTH_REALM or no HA1 will ever match. */
  realm: string;
  clock: Clock;
  logger: Logger;
  policy: RegistryPolicy;
  /** CPE accounts on the XMPP server (connreq-xmpp over the bus); absent when no XMPP worker is deployed. */
  xmppAccounts?: XmppAccounts;
  /**
   * STUN credentials for CPEs (connreq-stun over the bus); present exactly when a udp worker is deployed
   * (REGISTRY_CONNREQ_TRANSPORTS has udp), and only then is provisionStun queued.
   */
  stunCredentials?: StunCredentials;
}
