import type { CwmpEnvelope, CwmpVersion } from './types.js';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP_ENC_NS = 'http://schemas.xmlsoap.org/soap/encoding/';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** cwmp namespace URIs by the version their schema file introduced (1.3 and 1.4 keep cwmp-1-2). */
export const CWMP_NAMESPACES = {
  '1.0': 'urn:dslforum-org:cwmp-1-0',
  '1.1': 'urn:dslforum-org:cwmp-1-1',
  '1.2': 'urn:dslforum-org:cwmp-1-2',
  '1.3': 'urn:dslforum-org:cwmp-1-2',
  '1.4': 'urn:dslforum-org:cwmp-1-2',
} as const satisfies Record<CwmpVersion, string>;

export const CWMP_VERSIONS: readonly CwmpVersion[] = ['1.0', '1.1', '1.2', '1.3', '1.4'];

// Any urn:dslforum-org:cwmp-1-<n> is accepted (icwmp sends cwmp-1-3 / cwmp-1-4).
const CWMP_NS_RE = /^urn:dslforum-org:cwmp-1-(\d+)$/;

export function isCwmpNamespace(uri: string): boolean {
  return CWMP_NS_RE.test(uri);
}

/** Minor version from the namespace URI alone, clamped to what we know. */
function namespaceMinor(uri: string): number {
  const m = CWMP_NS_RE.exec(uri);
  return m ? Math.min(Number(m[1]), 4) : 0;
}

/**
 * CWMP version of a session from its Inform (cwmp-protocol.md §2.2):
 * SupportedCWMPVersions => 1.4, SessionTimeout => 1.3, else the namespace (cwmp-1-3 / cwmp-1-4 as sent by icwmp
 * count too). The highest indication wins.
 */
export function versionFromInform(envelope: Pick<CwmpEnvelope, 'cwmpNamespace' | 'header'>): CwmpVersion {
  let minor = namespaceMinor(envelope.cwmpNamespace);
  if (envelope.header.sessionTimeout !== undefined) minor = Math.max(minor, 3);
  if (envelope.header.supportedCWMPVersions !== undefined) minor = Math.max(minor, 4);
  return `1.${minor}` as CwmpVersion;
}

function versionKey(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * CWMP 1.4 negotiation: the highest version both sides support, to send in UseCWMPVersion;
 * `fault: 8006` when there is none. Without a SupportedCWMPVersions list there is nothing to negotiate.
 */
export function negotiateVersion(
  supported: string[] | undefined,
  ours: readonly CwmpVersion[],
): { use?: string; fault?: 8006 } {
  if (supported === undefined) return {};
  const theirs = new Set(
    supported
      .map((s) => versionKey(s))
      .filter((k): k is [number, number] => k !== undefined)
      .map(([a, b]) => `${a}.${b}`),
  );
  let best: [number, number] | undefined;
  for (const v of ours) {
    const k = versionKey(v);
    if (!k || !theirs.has(`${k[0]}.${k[1]}`)) continue;
    if (!best || k[0] > best[0] || (k[0] === best[0] && k[1] > best[1])) best = k;
  }
  return best ? { use: `${best[0]}.${best[1]}` } : { fault: 8006 };
}
