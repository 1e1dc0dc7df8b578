import { readFileSync } from 'node:fs';
import { createCpe, type AcsAuthMode, type Cpe, type CpeOptions, type SessionResult } from './cpe.js';
import type { ConnectionRequestBehaviour } from './connection-request.js';
import { createLoginSlots } from './login-slots.js';
import { bundledModelSpec, type BundledModelName } from './model/bundled.js';
import { csvModelSpec, type CsvModel } from './model/csv-loader.js';
import type { DataModelSpec } from './model/data-model.js';
import { macForIndex, wanIpForIndex, type ModelContext } from './model/templating.js';
import { summarize, type SessionSummary } from './stats.js';
import { addStunCounters, newStunCounters, type StunCounters } from './stun-counters.js';
import { provisionStun, type StunProvisioning } from './stun-provisioning.js';
import type { UdpConnectionRequestSettings, UdpConnectionRequestStatus } from './udp-connection-request.js';
import type { XmppStatus } from './xmpp-connection-request.js';
import { provisionXmpp, type XmppProvisioning } from './xmpp-provisioning.js';

export interface FleetXmppOptions {
  /** PEM file of the CA trusted for the XMPP server's certificate, read once for the fleet. */
  caFile?: string;
  ca?: string | Buffer;
  /** XMPP logins in flight at once across the fleet. Default 32. */
  loginConcurrency?: number;
  behaviour?: ConnectionRequestBehaviour;
  /**
   * Provision every CPE at start() the way an ACS would (AddObject + SPV). The account of a CPE
   * is its serial number in lower case (`sim000001`): register those on the server beforehand.
   */
  provision?: Omit<XmppProvisioning, 'username'>;
}

export interface FleetStunOptions extends Omit<UdpConnectionRequestSettings, 'port'> {
  /** CPE i binds its UDP socket to portBase + i - firstIndex; 0 or absent: any free port. */
  portBase?: number;
  /**
   * Enable STUN on every CPE at start() the way an ACS would (one SPV). `username` may hold `{serial}`;
   * absent: the CPE's serial number.
   */
  provision?: StunProvisioning;
}

/** CPE counts by STUN status and the fleet's summed STUN / UDP connection-request counters. */
export interface FleetStunStatus extends StunCounters {
  /** CPEs with a mapped address (status `Bound`). */
  bound: number;
  status: Partial<Record<UdpConnectionRequestStatus, number>>;
}

/** The XMPP account (JID local part) `FleetXmppOptions.provision` gives a CPE. */
export function xmppUsernameFor(serialNumber: string): string {
  return serialNumber.toLowerCase();
}

/** A bundled model by name, or a loaded CSV dump. */
export type FleetModel = BundledModelName | CsvModel;

export interface FleetOptions {
  acsUrl: string;
  count: number;
  model?: FleetModel;
  serialPrefix?: string;
  /** First index used in serial numbers, MACs and CR ports (default 1). */
  firstIndex?: number;
  oui?: string;
  productClass?: string;
  manufacturer?: string;
  /** ACS credentials (ManagementServer.Username/Password) of every CPE. */
  username?: string;
  password?: string;
  auth?: AcsAuthMode;
  connectionRequest?:
    | false
    | {
        host?: string;
        /** CPE i listens on portBase + i - firstIndex; 0 or absent: any free port. */
        portBase?: number;
        username?: string;
        password?: string;
        rateLimitMs?: number;
        behaviour?: ConnectionRequestBehaviour;
      };
  /** XMPP connection requests; false ignores XMPP provisioning. Default: endpoints that wait for an ACS to provision them. */
  xmpp?: FleetXmppOptions | false;
  /** STUN and UDP connection requests; false ignores STUNEnable. Default: endpoints idle until STUNEnable is set. */
  stun?: FleetStunOptions | false;
  informIntervalS?: number;
  periodicInform?: boolean;
  secondMs?: number;
  retry?: boolean;
  httpTimeoutMs?: number;
  /** Any other per-CPE option. */
  cpe?: Partial<Omit<CpeOptions, 'model' | 'deviceId'>>;
}

export interface FleetRunOptions {
  /** Stop after this many sessions in total. */
  sessions?: number;
  /** Stop starting sessions after this long. */
  durationMs?: number;
  /** Sessions in flight at once (default: the fleet size). */
  concurrency?: number;
  /** Events of each session besides what is pending (default ['2 PERIODIC']). */
  events?: string[];
  onResult?: (r: SessionResult) => void;
}

export type FleetStats = SessionSummary;

export interface Fleet {
  readonly cpes: readonly Cpe[];
  /** Starts every CPE's listeners without a session. */
  start(): Promise<void>;
  /**
   * Runs sessions over the fleet, each CPE in at most one session at a time; a CPE's first
   * session carries its boot events. Resolves when the budget (sessions or duration) is spent.
   */
  run(opts: FleetRunOptions): Promise<SessionResult[]>;
  summary(results: SessionResult[], wallMs: number): FleetStats;
  /** How many CPEs are in each XMPP connection status (logged in: `Enabled`). */
  xmppStatus(): Partial<Record<XmppStatus, number>>;
  /** STUN statuses and counters over the fleet. */
  stunStatus(): FleetStunStatus;
  stop(): Promise<void>;
}

export function createFleet(opts: FleetOptions): Fleet {
  const first = opts.firstIndex ?? 1;
  const model = opts.model ?? 'tr181';
  const cpes: Cpe[] = [];
  const xmpp = opts.xmpp === false ? undefined : (opts.xmpp ?? {});
  const xmppOptions: CpeOptions['xmpp'] = xmpp && {
    ca: xmpp.ca ?? (xmpp.caFile ? readFileSync(xmpp.caFile) : undefined),
    behaviour: xmpp.behaviour,
    loginSlots: createLoginSlots(xmpp.loginConcurrency ?? 32),
  };
  const stun = opts.stun === false ? undefined : (opts.stun ?? {});
  const { portBase: _portBase, provision: _provision, ...stunSettings } = stun ?? {};
  for (let n = 0; n < opts.count; n++) {
    const index = first + n;
    const serialNumber = `${opts.serialPrefix ?? 'SIM'}${String(index).padStart(6, '0')}`;
    const csv = typeof model === 'string' ? undefined : model;
    const deviceId = {
      manufacturer: opts.manufacturer ?? csv?.deviceId.manufacturer ?? 'ACS Simulator',
      oui: opts.oui ?? csv?.deviceId.oui ?? '02A0C5',
      productClass: opts.productClass ?? csv?.deviceId.productClass ?? 'SimGW',
      serialNumber,
    };
    const cr = opts.connectionRequest === false ? undefined : (opts.connectionRequest ?? {});
    const ctx = (connectionRequestUrl: string): ModelContext => ({
      ...deviceId,
      macAddress: macForIndex(index),
      wanIpAddress: wanIpForIndex(index),
      acsUrl: opts.acsUrl,
      username: opts.username ?? '',
      password: opts.password ?? '',
      connectionRequestUrl,
      connectionRequestUsername: cr?.username ?? `cr-${serialNumber}`,
      connectionRequestPassword: cr?.password ?? 'cr-secret',
      periodicInformEnable: 'true',
      periodicInformInterval: String(opts.informIntervalS ?? 300),
    });
    const spec = ({ connectionRequestUrl }: { connectionRequestUrl: string }): DataModelSpec =>
      csv ? csvModelSpec(csv, ctx(connectionRequestUrl)) : bundledModelSpec(model as BundledModelName, ctx(connectionRequestUrl));
    cpes.push(
      createCpe({
        ...opts.cpe,
        model: spec,
        deviceId,
        acsUrl: opts.acsUrl,
        auth: opts.auth ?? 'digest',
        connectionRequest: cr
          ? {
              host: cr.host,
              port: cr.portBase ? cr.portBase + n : 0,
              rateLimitMs: cr.rateLimitMs,
              behaviour: cr.behaviour,
            }
          : false,
        xmpp: xmppOptions ?? false,
        stun: stun && { ...stunSettings, port: stun.portBase ? stun.portBase + n : 0 },
        periodicInform: opts.periodicInform ?? false,
        retry: opts.retry ?? false,
        secondMs: opts.secondMs,
        httpTimeoutMs: opts.httpTimeoutMs,
      }),
    );
  }

  return {
    cpes,
    async start() {
      await Promise.all(cpes.map((c) => c.start({ inform: false })));
      const provision = xmpp?.provision;
      if (provision) for (const c of cpes) provisionXmpp(c.model, { ...provision, username: xmppUsernameFor(c.deviceId.serialNumber) });
      const stunProvision = stun?.provision;
      if (stunProvision) {
        for (const c of cpes) {
          const username = (stunProvision.username ?? '{serial}').replaceAll('{serial}', c.deviceId.serialNumber);
          provisionStun(c.model, { ...stunProvision, username });
        }
      }
    },
    async run(run) {
      const results: SessionResult[] = [];
      const idle = [...cpes];
      const deadline = run.durationMs === undefined ? Infinity : Date.now() + run.durationMs;
      const budget = run.sessions ?? Infinity;
      if (budget === Infinity && deadline === Infinity) throw new RangeError('run needs sessions or durationMs');
      let started = 0;
      const booted = new Set<Cpe>();
      const worker = async () => {
        while (started < budget && Date.now() < deadline) {
          const cpe = idle.shift();
          if (!cpe) return;
          started++;
          // A CPE's first session is its boot session: only the boot events it queued itself.
          const r = await cpe.inform(booted.has(cpe) ? (run.events ?? ['2 PERIODIC']) : []);
          booted.add(cpe);
          results.push(r);
          run.onResult?.(r);
          idle.push(cpe);
        }
      };
      const concurrency = Math.max(1, Math.min(run.concurrency ?? cpes.length, cpes.length));
      await Promise.all(Array.from({ length: concurrency }, worker));
      return results;
    },
    summary: summarize,
    xmppStatus() {
      const counts: Partial<Record<XmppStatus, number>> = {};
      for (const c of cpes) if (c.xmpp) counts[c.xmpp.status] = (counts[c.xmpp.status] ?? 0) + 1;
      return counts;
    },
    stunStatus() {
      const out: FleetStunStatus = { ...newStunCounters(), bound: 0, status: {} };
      for (const c of cpes) {
        if (!c.stun) continue;
        out.status[c.stun.status] = (out.status[c.stun.status] ?? 0) + 1;
        if (c.stun.status === 'Bound') out.bound++;
        addStunCounters(out, c.stun.counters);
      }
      return out;
    },
    async stop() {
      await Promise.all(cpes.map((c) => c.stop()));
    },
  };
}
