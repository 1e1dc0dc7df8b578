import type { DataModel } from './model/data-model.js';

/** What ManagementServer.STUN* asks for (cwmp-protocol.md §8.1). */
export interface StunConfig {
  server: { host: string; port: number };
  /** '' = never send USERNAME or MESSAGE-INTEGRITY. */
  username: string;
  password: string;
  /** Seconds; -1 (or 0) = no maximum. */
  maxKeepAliveS: number;
  minKeepAliveS: number;
}

export type StunConfigState = { state: 'disabled' } | { state: 'misconfigured'; reason: string } | { state: 'ready'; config: StunConfig };

export const DEFAULT_STUN_PORT = 3478;

const isTrue = (v: string | undefined) => v === 'true' || v === '1';

/** The host of the ACS URL, which an empty STUNServerAddress stands for (IPv6 without its brackets). */
export function acsHost(acsUrl: string): string {
  try {
    return new URL(acsUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

export function readStunConfig(model: DataModel, fallbackAcsUrl = ''): StunConfigState {
  const get = (leaf: string) => model.getValue(`${model.root}ManagementServer.${leaf}`) ?? '';
  if (!isTrue(get('STUNEnable'))) return { state: 'disabled' };
  const host = get('STUNServerAddress').trim() || acsHost(get('URL') || fallbackAcsUrl);
  if (host === '') return { state: 'misconfigured', reason: 'no STUNServerAddress and no ACS URL host' };
  const port = Number(get('STUNServerPort')) || DEFAULT_STUN_PORT;
  const max = Number(get('STUNMaximumKeepAlivePeriod'));
  return {
    state: 'ready',
    config: {
      server: { host: host.replace(/^\[|\]$/g, ''), port },
      username: get('STUNUsername'),
      password: get('STUNPassword'),
      maxKeepAliveS: Number.isFinite(max) && max > 0 ? max : -1,
      minKeepAliveS: Math.max(0, Number(get('STUNMinimumKeepAlivePeriod')) || 0),
    },
  };
}

/** The keep-alive period when the model sets no maximum: short, because many NATs drop idle UDP mappings within a minute. */
export const DEFAULT_KEEP_ALIVE_S = 30;

/** Seconds between Binding Requests: the maximum when there is one, else ours, never below the minimum. */
export function keepAlivePeriodS(c: Pick<StunConfig, 'maxKeepAliveS' | 'minKeepAliveS'>): number {
  const wanted = c.maxKeepAliveS > 0 ? c.maxKeepAliveS : DEFAULT_KEEP_ALIVE_S;
  return Math.max(wanted, c.minKeepAliveS, 1);
}

/** True when a STUN parameter (or the ACS URL an empty STUNServerAddress defers to) changed. */
export function isStunParameter(model: DataModel, name: string): boolean {
  const ms = `${model.root}ManagementServer.`;
  return name.startsWith(`${ms}STUN`) || name === `${ms}URL`;
}
