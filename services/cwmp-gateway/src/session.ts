import { randomBytes } from 'node:crypto';
import type { SessionRpc } from '@acs/contracts';
import type { CwmpVersion } from '@acs/cwmp';
import type { LockHandle, SessionStore } from '@acs/kv';

/** Before the CPE's first empty POST it sends requests; after it, we do (cwmp-protocol.md §1.2). */
export type SessionState = 'cpe_requests' | 'acs_requests';

/** The ACS request the CPE has not answered yet. */
export interface PendingRpc {
  /** cwmp:ID we sent; the CPE's answer must echo it. */
  readonly cwmpId: string;
  readonly taskId: string;
  /** TR-069 method name, e.g. `GetParameterValues`. */
  readonly method: string;
  /** Epoch ms. */
  readonly sentAt: number;
}

/**
 * One CWMP session, as stored in the `SessionStore`: plain JSON, no sockets, so any replica can serve the
 * next request of any session.
 */
export interface SessionRecord {
  readonly format: 1;
  readonly id: string;
  readonly deviceId: string;
  /** The exact cwmp namespace URI of the Inform: every message of the session answers in it. */
  readonly cwmpNamespace: string;
  readonly cwmpVersion: CwmpVersion;
  state: SessionState;
  pending: PendingRpc | null;
  /** Whether our messages carry HoldRequests=1 (we only set it when we need to; today never). */
  holdRequests: boolean;
  counters: { cpeRequests: number; acsRequests: number; faults: number; messages: number };
  /** Epoch ms. */
  readonly startedAt: number;
  lastSeenAt: number;
  /** Idle timeout: the CPE's SessionTimeout when it sent one, else the configured one. */
  readonly timeoutMs: number;
  /** Replaced when the lock had lapsed (clock skew with the store) and was taken again. */
  lock: LockHandle;
  readonly eventCodes: string[];
  rpcs: SessionRpc[];
  readonly sourceIp: string;
  readonly username: string;
  /** Key of the source-address fallback for CPEs that drop cookies, when one was stored. */
  readonly addressKey?: string;
}

export function newSessionId(): string {
  return randomBytes(18).toString('base64url');
}

export function newCwmpId(): string {
  return `acs-${randomBytes(8).toString('hex')}`;
}

// A record outlives its idle timeout for a while, so that a late request (or the device's next Inform)
// still finds it and can report its unanswered RPC as timed out instead of silently losing it.
const RECORD_TTL_FACTOR = 4;

function isSessionRecord(v: unknown): v is SessionRecord {
  const r = v as Partial<SessionRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.format === 1 &&
    typeof r.id === 'string' &&
    typeof r.deviceId === 'string' &&
    typeof r.startedAt === 'number' &&
    typeof r.lastSeenAt === 'number' &&
    typeof r.timeoutMs === 'number' &&
    typeof r.lock === 'object' &&
    Array.isArray(r.rpcs)
  );
}

/**
 * Session records and their two indexes in the kv store: `d:<deviceId>` (the device's current session) and
 * `a:<ip>|<port>` (cookie-less CPEs, by the TCP connection they keep using).
 */
export class SessionRepository {
  readonly #store: SessionStore;

  constructor(store: SessionStore) {
    this.#store = store;
  }

  static addressKey(ip: string, port: number): string {
    return `cwmp:a:${ip}|${port}`;
  }

  #ttl(record: SessionRecord): number {
    return record.timeoutMs * RECORD_TTL_FACTOR;
  }

  async load(id: string): Promise<SessionRecord | null> {
    const v = await this.#store.get(`cwmp:s:${id}`);
    return isSessionRecord(v) ? v : null;
  }

  async byDevice(deviceId: string): Promise<SessionRecord | null> {
    const id = await this.#store.get(`cwmp:d:${deviceId}`);
    return typeof id === 'string' ? this.load(id) : null;
  }

  async byAddress(ip: string, port: number): Promise<SessionRecord | null> {
    const id = await this.#store.get(SessionRepository.addressKey(ip, port));
    return typeof id === 'string' ? this.load(id) : null;
  }

  // The keys of one record are independent of each other: their writes go out together (one round trip of
  // latency to Redis instead of one per key).

  async create(record: SessionRecord): Promise<void> {
    const ttl = this.#ttl(record);
    await Promise.all([
      this.#store.put(`cwmp:s:${record.id}`, record, ttl),
      this.#store.put(`cwmp:d:${record.deviceId}`, record.id, ttl),
      record.addressKey === undefined ? undefined : this.#store.put(record.addressKey, record.id, record.timeoutMs),
    ]);
  }

  /** Stores the record and restarts the TTLs of its indexes. */
  async save(record: SessionRecord): Promise<void> {
    const ttl = this.#ttl(record);
    await Promise.all([
      this.#store.put(`cwmp:s:${record.id}`, record, ttl),
      this.#store.touch(`cwmp:d:${record.deviceId}`, ttl),
      record.addressKey === undefined ? undefined : this.#store.touch(record.addressKey, record.timeoutMs),
    ]);
  }

  async remove(record: SessionRecord): Promise<void> {
    // The device may already have a newer session: only drop an index if it still names this one.
    const dropIndex = async (key: string) => {
      if ((await this.#store.get(key)) === record.id) await this.#store.delete(key);
    };
    await Promise.all([
      this.#store.delete(`cwmp:s:${record.id}`),
      dropIndex(`cwmp:d:${record.deviceId}`),
      record.addressKey === undefined ? undefined : dropIndex(record.addressKey),
    ]);
  }

  /** Generic small values (login blocks), under their own prefix. */
  async getValue(key: string): Promise<unknown> {
    return this.#store.get(`cwmp:x:${key}`);
  }

  async putValue(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.#store.put(`cwmp:x:${key}`, value, ttlMs);
  }
}
