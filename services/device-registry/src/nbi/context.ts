import type { Bus } from '@acs/bus';
import type { Subjects } from '@acs/contracts';
import type { Logger } from '@acs/telemetry';
import type { SecretBox } from '../secrets.js';
import type { DeviceStore } from '../store/device-store.js';
import type { EpochMs, Task } from '../store/types.js';
import type { XmppAccounts } from '../xmpp/accounts.js';
import type { TokenStore } from './tokens.js';

/** What `createNbi` needs; ports only. */
export interface NbiDeps {
  store: DeviceStore;
  tokens: TokenStore;
  /** Seals connection-request passwords (ACS_SECRET_KEY). */
  secretBox: SecretBox;
  /** Digest realm HA1s are computed for; must equal the gateway's CWMP_AUTH_REALM. */
  realm: string;
  logger: Logger;
  clock?: () => EpochMs;
  /** ACS_NBI_TOKEN: a bearer token with the admin role, compared in constant time. */
  adminToken?: string;
  /** Told after operator tasks are stored (e.g. to wake a session); failures are logged, never answered. */
  onTaskCreated?: (deviceId: string, tasks: Task[]) => void;
  /** With `subjects`: lets `?connect=true` and `/poke` publish `acs.cmd.poke`. Without it they answer 503. */
  bus?: Bus;
  subjects?: Subjects;
  /** Removes a deleted device's XMPP account; absent when no XMPP worker is deployed. */
  xmppAccounts?: XmppAccounts;
  /** Cap on JSON request bodies; default 1 MiB. */
  maxBodyBytes?: number;
}

/** What a route module gets; `Store` names the store roles it uses (the whole DeviceStore by default). */
export interface NbiContext<Store = DeviceStore> extends Omit<NbiDeps, 'store'> {
  store: Store;
  clock: () => EpochMs;
}
