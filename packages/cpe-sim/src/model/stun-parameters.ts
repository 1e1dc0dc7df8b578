import type { XsdType } from '@acs/cwmp';
import type { NodeInit } from './data-model.js';

/** The TR-111 / Annex G ManagementServer parameters (cwmp-protocol.md §8.1) and the factory values we give them. */
export const STUN_PARAMETERS: readonly { leaf: string; type: XsdType; writable: boolean; value: string }[] = [
  { leaf: 'UDPConnectionRequestAddress', type: 'string', writable: false, value: '' },
  { leaf: 'STUNEnable', type: 'boolean', writable: true, value: 'false' },
  { leaf: 'STUNServerAddress', type: 'string', writable: true, value: '' },
  { leaf: 'STUNServerPort', type: 'unsignedInt', writable: true, value: '3478' },
  { leaf: 'STUNUsername', type: 'string', writable: true, value: '' },
  { leaf: 'STUNPassword', type: 'string', writable: true, value: '' },
  { leaf: 'STUNMaximumKeepAlivePeriod', type: 'int', writable: true, value: '-1' },
  { leaf: 'STUNMinimumKeepAlivePeriod', type: 'unsignedInt', writable: true, value: '0' },
  { leaf: 'NATDetected', type: 'boolean', writable: false, value: 'false' },
];

/**
 * `nodes` with the STUN parameters a dump lacks (e.g. the Huawei TR-098 one has NATDetected but no STUN*),
 * inserted after its last ManagementServer node; what the dump has is kept as it is.
 */
export function withStunParameters(root: string, nodes: NodeInit[]): NodeInit[] {
  const ms = `${root}ManagementServer.`;
  const names = new Set(nodes.map((n) => n.name));
  const missing: NodeInit[] = STUN_PARAMETERS.filter((p) => !names.has(ms + p.leaf)).map((p) => ({
    kind: 'parameter',
    name: ms + p.leaf,
    type: p.type,
    writable: p.writable,
    value: p.value,
  }));
  if (missing.length === 0) return nodes;
  let last = -1;
  nodes.forEach((n, i) => {
    if (n.name.startsWith(ms)) last = i;
  });
  const at = last < 0 ? nodes.length : last + 1;
  return [...nodes.slice(0, at), ...missing, ...nodes.slice(at)];
}
