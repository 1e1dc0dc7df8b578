// Which connection-request transports can reach a device, in the type's order of preference, as ready-to-publish
// commands. Pure: no I/O; the caller loads the device, its type and the parameters the policy names.
import { BlockList, isIP, isIPv4 } from 'node:net';
import {
  parseConnreqHttpCommand,
  parseConnreqUdpCommand,
  parseConnreqXmppCommand,
  type ConnreqCredentials,
  type ConnreqHttpCommand,
  type ConnreqUdpCommand,
  type ConnreqXmppCommand,
  type ParseResult,
} from '@acs/contracts';
import type { ConnectionRequestPolicy, ConnectionRequestTransport, Device, DeviceType, EpochMs } from '../store/types.js';
import { DEFAULT_CONNECTION_REQUEST_POLICY } from '../store/types.js';

/** A command as published on `cmd.connreq.<transport>`, before the router adds its fallback plan. */
export type PlannedCommand =
  | { readonly transport: 'http'; readonly command: Omit<ConnreqHttpCommand, 'fallback' | 'attempts'> }
  | { readonly transport: 'xmpp'; readonly command: Omit<ConnreqXmppCommand, 'fallback' | 'attempts'> }
  | { readonly transport: 'udp'; readonly command: Omit<ConnreqUdpCommand, 'fallback' | 'attempts'> };

/** A transport of the policy that cannot reach the device, and why. */
export interface SkippedTransport {
  readonly transport: ConnectionRequestTransport;
  readonly reason: string;
}

/** Commands in order of preference (the first is sent, the rest are its fallback), or why nothing can be sent. */
export type RoutePlan =
  | { readonly commands: readonly [PlannedCommand, ...PlannedCommand[]]; readonly skipped: readonly SkippedTransport[] }
  | { readonly noRoute: string; readonly skipped: readonly SkippedTransport[] };

/** What opens sealed connection-request passwords (a SecretBox). */
export interface SecretOpener {
  decrypt(sealed: string): string;
}

export interface PlanInput {
  readonly requestId: string;
  readonly device: Device;
  /** The device's type; null: the default policy and no type-level credentials. */
  readonly type: DeviceType | null;
  readonly secrets: SecretOpener;
  readonly now: EpochMs;
  /** Stored values of the parameters the policy names (e.g. the VPN address parameter), by full path. */
  readonly params?: Readonly<Record<string, string | null | undefined>>;
  /**
   * Transports a worker consumes in this deployment (default: all). A command for a transport nobody consumes
   * would wait in the work-queue stream forever and the poke would never end, so those are skipped, saying so.
   */
  readonly available?: readonly ConnectionRequestTransport[];
}

/** Where an address sits for the NAT rule: loopback is neither private nor public (tests run there). */
export type AddressScope = 'private' | 'public' | 'loopback' | 'unknown';

// RFC 1918, RFC 6598 (carrier-grade NAT), link-local, RFC 4193 unique-local and IPv6 link-local: behind some NAT
// or on a local link, never reachable from the ACS across the internet.
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
const NOT_ROUTED = new BlockList();
NOT_ROUTED.addSubnet('127.0.0.0', 8, 'ipv4');
NOT_ROUTED.addSubnet('0.0.0.0', 8, 'ipv4');
NOT_ROUTED.addAddress('::1', 'ipv6');
NOT_ROUTED.addAddress('::', 'ipv6');

/** An IP literal without brackets, zone or IPv4-mapped prefix (`[::ffff:10.0.0.1]` -> `10.0.0.1`); null if not an IP. */
export function normaliseIp(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let ip = raw.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone > 0) ip = ip.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] !== undefined) ip = mapped[1];
  return isIP(ip) === 0 ? null : ip;
}

export function addressScope(raw: string | null | undefined): AddressScope {
  const ip = normaliseIp(raw);
  if (ip === null) return 'unknown';
  const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
  if (NOT_ROUTED.check(ip, family)) return 'loopback';
  return PRIVATE.check(ip, family) ? 'private' : 'public';
}

interface ChosenCredentials {
  readonly credentials?: ConnreqCredentials;
  /** Set when credentials exist but none could be opened (the secret key changed, or the data was altered). */
  readonly unopenable?: string;
}

/**
 * Newest wins between the device's own credentials (set by the NBI, a profile, or learned) and the type's (NBI);
 * on a tie the device's, being the more specific. Passwords are opened here and only travel in the command.
 */
function chooseCredentials(device: Device, type: DeviceType | null, secrets: SecretOpener): ChosenCredentials {
  const candidates = [
    ...(device.connectionRequestAuth ? [{ from: 'device', ...device.connectionRequestAuth }] : []),
    ...(type?.connectionRequestAuth ? [{ from: 'type', ...type.connectionRequestAuth }] : []),
  ].sort((a, b) => b.updatedAt - a.updatedAt);
  const failures: string[] = [];
  for (const c of candidates) {
    try {
      return { credentials: { username: c.username, password: secrets.decrypt(c.passwordSealed) } };
    } catch (err) {
      failures.push(`${c.from} credentials: ${err instanceof Error ? err.name : 'error'}`);
    }
  }
  return failures.length > 0 ? { unopenable: `connection-request credentials cannot be opened (${failures.join(', ')})` } : {};
}

function hostPort(address: string): { host: string; port: number } | null {
  // TR-111: `host:port`, or `host` alone when the port is 80; IPv6 in brackets.
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (!m?.[1]) return null;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  return Number.isInteger(port) && port >= 1 && port <= 65_535 ? { host: m[1], port } : null;
}

function validated<T>(transport: ConnectionRequestTransport, result: ParseResult<T>): { value: T } | { reason: string } {
  if (result.ok) return { value: result.value };
  const issue = result.error.issues[0];
  return { reason: `the ${transport} command would be invalid (${issue ? `${issue.path.join('.')}: ${issue.message}` : result.error.message})` };
}

const MAX_REASON = 2048;

/**
 * When the UDP address was last confirmed: a binding event or an Inform reporting it, or any later Inform (the CPE
 * notifies a changed address actively, so an Inform without one says it still holds). connreq-stun trusts a live
 * binding of its own over an address older than that.
 */
function udpAddressSeenAt(device: Device): EpochMs | null {
  const times = [device.lastInformAt, device.connectionRequest.udpConnectionRequestAddressSeenAt].filter((t): t is EpochMs => t !== null);
  return times.length === 0 ? null : Math.max(...times);
}

/**
 * Plans one poke (see README.md beside this file): HTTP needs a ConnectionRequestURL, UDP a
 * UDPConnectionRequestAddress, XMPP a ConnReqJabberID; a private ConnectionRequestURL (or UDP address) of a CPE
 * calling in from a public address is a NAT dead end and skipped; a VPN policy rewrites the URL's host.
 */
export function planConnectionRequest(input: PlanInput): RoutePlan {
  const { requestId, device, type, secrets, now } = input;
  const params = input.params ?? {};
  const policy: ConnectionRequestPolicy = type?.connectionRequestPolicy ?? DEFAULT_CONNECTION_REQUEST_POLICY;
  const chosen = chooseCredentials(device, type, secrets);
  if (chosen.unopenable !== undefined) return { noRoute: chosen.unopenable, skipped: [] };
  const { credentials } = chosen;
  const common = { requestId, deviceId: device.id, deadline: new Date(now + policy.deadlineMs).toISOString(), issuedAt: new Date(now).toISOString() };
  const sourceScope = addressScope(device.sourceIp);
  const behindNat = (host: string) => addressScope(host) === 'private' && sourceScope === 'public';
  const cr = device.connectionRequest;

  const plan: Record<ConnectionRequestTransport, () => PlannedCommand | string> = {
    http() {
      if (!cr.connectionRequestURL) return 'the device reported no ConnectionRequestURL';
      let url: URL;
      try {
        url = new URL(cr.connectionRequestURL);
      } catch {
        return 'ConnectionRequestURL is not a URL';
      }
      // TR-069 Amendment 2: the connection request is plain HTTP.
      if (url.protocol !== 'http:') return `ConnectionRequestURL uses ${url.protocol} where connection requests are plain http:`;
      let egress: ConnreqHttpCommand['egress'];
      const vpn = policy.vpn;
      if (vpn) {
        const fromParam = vpn.hostFromParameter ? normaliseIp(params[vpn.hostFromParameter]) : null;
        const host = fromParam ?? (vpn.useSourceIp ? normaliseIp(device.sourceIp) : null);
        if (host === null) {
          const where = [vpn.hostFromParameter ? `${vpn.hostFromParameter} holds no IP address` : '', vpn.useSourceIp ? 'no source address known' : '']
            .filter(Boolean)
            .join(' and ');
          return `VPN policy: the device's VPN address is unknown (${where || 'no address source configured'})`;
        }
        // Only the host changes: the CPE listens on the same port and random path on its VPN side.
        url.hostname = isIPv4(host) ? host : `[${host}]`;
        if (vpn.egress && (vpn.egress.localAddress !== undefined || vpn.egress.proxyUrl !== undefined)) {
          egress = {
            ...(vpn.egress.localAddress === undefined ? {} : { localAddress: vpn.egress.localAddress }),
            ...(vpn.egress.proxyUrl === undefined ? {} : { proxyUrl: vpn.egress.proxyUrl }),
          };
        }
      } else if (behindNat(url.hostname)) {
        return `ConnectionRequestURL host ${url.hostname} is a private address while the CPE calls in from public ${normaliseIp(device.sourceIp)}: behind NAT, not reachable over HTTP`;
      }
      const checked = validated(
        'http',
        parseConnreqHttpCommand({ ...common, url: url.href, ...(credentials ? { credentials } : {}), allowBasicAuth: policy.allowBasicAuth, ...(egress ? { egress } : {}) }),
      );
      if ('reason' in checked) return checked.reason;
      const { fallback: _f, attempts: _a, ...command } = checked.value;
      return { transport: 'http', command };
    },
    udp() {
      if (!cr.udpConnectionRequestAddress) return 'the device reported no UDPConnectionRequestAddress';
      const hp = hostPort(cr.udpConnectionRequestAddress.trim());
      const host = normaliseIp(hp?.host);
      if (!hp || host === null) return `UDPConnectionRequestAddress ${cr.udpConnectionRequestAddress} is not an IP address with an optional port`;
      // TR-111: with STUN on the CPE reports its public NAT binding; a private address from a public CPE means STUN is off.
      if (behindNat(host)) return `UDPConnectionRequestAddress ${host} is private while the CPE calls in from public ${normaliseIp(device.sourceIp)} (STUN off or NATDetected unknown)`;
      if (!credentials) return 'UDP connection requests are signed with ConnectionRequestUsername/Password and none are known';
      const seenAt = udpAddressSeenAt(device);
      const checked = validated('udp', parseConnreqUdpCommand({ ...common, host, port: hp.port, credentials, ...(seenAt === null ? {} : { addressSeenAt: new Date(seenAt).toISOString() }) }));
      if ('reason' in checked) return checked.reason;
      const { fallback: _f, attempts: _a, ...command } = checked.value;
      return { transport: 'udp', command };
    },
    xmpp() {
      if (!cr.connReqJabberID) return 'the device reported no ConnReqJabberID';
      if (!credentials) return 'XMPP connection requests carry ConnectionRequestUsername/Password and none are known';
      const checked = validated('xmpp', parseConnreqXmppCommand({ ...common, jid: cr.connReqJabberID, credentials }));
      if ('reason' in checked) return checked.reason;
      const { fallback: _f, attempts: _a, ...command } = checked.value;
      return { transport: 'xmpp', command };
    },
  };

  const commands: PlannedCommand[] = [];
  const skipped: SkippedTransport[] = [];
  for (const transport of policy.transports) {
    const result = input.available && !input.available.includes(transport) ? 'no worker for this transport is deployed' : plan[transport]();
    if (typeof result === 'string') skipped.push({ transport, reason: result });
    else commands.push(result);
  }
  const [first, ...rest] = commands;
  if (first !== undefined) return { commands: [first, ...rest], skipped };
  const why = skipped.length === 0 ? 'the device type allows no connection-request transport' : skipped.map((s) => `${s.transport}: ${s.reason}`).join('; ');
  return { noRoute: why.length > MAX_REASON ? `${why.slice(0, MAX_REASON - 1)}…` : why, skipped };
}
