import type { ParameterValueStruct } from '@acs/cwmp';
import type { DataModel } from './model/data-model.js';
import { ModelError } from './model/errors.js';

/** What an ACS sets to have a CPE keep a STUN binding for UDP connection requests (cwmp-protocol.md §8.1). */
export interface StunProvisioning {
  /** STUNServerAddress/Port; absent: STUNServerAddress '' (the ACS URL's host), port left as it is. */
  server?: { address: string; port: number };
  /** STUNUsername; '' = no USERNAME, so never integrity. */
  username?: string;
  password?: string;
  /** STUNMaximumKeepAlivePeriod (s, -1 = none). */
  maxKeepAliveS?: number;
  /** STUNMinimumKeepAlivePeriod (s). */
  minKeepAliveS?: number;
  /** STUNEnable. Default true. */
  enable?: boolean;
}

/** One SetParameterValues of the STUN parameters, as an ACS would send it; a started CPE then binds. */
export function provisionStun(model: DataModel, p: StunProvisioning, parameterKey = ''): void {
  const ms = `${model.root}ManagementServer.`;
  const list: ParameterValueStruct[] = [{ name: `${ms}STUNEnable`, value: String(p.enable ?? true), type: 'boolean' }];
  const add = (leaf: string, value: string | number | undefined, type: ParameterValueStruct['type']) => {
    if (value !== undefined) list.push({ name: ms + leaf, value: String(value), type });
  };
  add('STUNServerAddress', p.server?.address ?? '', 'string');
  add('STUNServerPort', p.server?.port, 'unsignedInt');
  add('STUNUsername', p.username, 'string');
  add('STUNPassword', p.password, 'string');
  add('STUNMaximumKeepAlivePeriod', p.maxKeepAliveS, 'int');
  add('STUNMinimumKeepAlivePeriod', p.minKeepAliveS, 'unsignedInt');
  const r = model.setParameterValues(list, parameterKey);
  if (r.name === 'Fault') {
    const detail = r.detail.setParameterValuesFault?.map((f) => `${f.parameterName}: ${f.faultCode}`).join(', ');
    throw new ModelError('RPC_FAULT', `STUN provisioning failed with fault ${r.detail.faultCode}${detail ? ` (${detail})` : ''}`);
  }
}
