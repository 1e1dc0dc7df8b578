import { createHash } from 'node:crypto';
import type { SecretBox } from './secrets.js';
import { generateSecret } from './secrets.js';
import type { ConnectionRequestAuth, Device, DeviceType } from './store/types.js';
import type { SystemParameterValueArg, SystemSetArgs } from './task-meta.js';

/** The two data-model roots a CPE can have (cwmp-protocol §10.1). */
export type DataModelRoot = 'Device.' | 'InternetGatewayDevice.';

/** TR-098 devices send `InternetGatewayDevice.` names in their Inform; everything else is `Device.`. */
export function rootOf(parameterNames: readonly string[]): DataModelRoot {
  return parameterNames.some((n) => n.startsWith('InternetGatewayDevice.')) ? 'InternetGatewayDevice.' : 'Device.';
}

/** `ManagementServer.URL` → `<root>ManagementServer.URL`; absolute names stay as they are. */
export function absolutePath(root: DataModelRoot, path: string): string {
  return path.startsWith('Device.') || path.startsWith('InternetGatewayDevice.') ? path : `${root}${path}`;
}

const PROFILE_KEY_PREFIX = 'prof-';

/**
 * ParameterKey of a profile: a hash of what it asks for (not of the generated secrets), ≤ 32
 * characters (TR-069 A.3.2.1), so a device that already reports it is known to carry the profile.
 * `stun: false` (no udp worker deployed, so no provisionStun) leaves the STUN policy out: once a worker is deployed
 * the key changes and the devices get the STUN part.
 */
export function profileParameterKey(type: Pick<DeviceType, 'profile' | 'connectionRequestCredentials' | 'connectionRequestPolicy'>, opts: { stun?: boolean } = {}): string {
  const stun = opts.stun !== false ? type.connectionRequestPolicy.stun : null;
  const content = JSON.stringify({
    profile: type.profile.map((e) => [e.path, e.value, e.type]),
    cr: type.connectionRequestCredentials,
    // Absent (not null) unless XMPP is set up, so the keys of types from before XMPP stay as they were.
    ...(type.connectionRequestPolicy.xmpp ? { xmpp: type.connectionRequestPolicy.xmpp } : {}),
    // Likewise for STUN.
    ...(stun ? { stun } : {}),
  });
  return PROFILE_KEY_PREFIX + createHash('sha256').update(content, 'utf8').digest('base64url').slice(0, 22);
}

export class ProfileTemplateError extends Error {
  override readonly name = 'ProfileTemplateError';
  readonly code = 'PROFILE_TEMPLATE';
  constructor(
    readonly template: string,
    message: string,
  ) {
    super(message);
  }
}

const TEMPLATE_RE = /\{(serialNumber|oui|productClass|deviceId|secret(?::[A-Za-z0-9_-]{1,64})?)\}/g;

/**
 * Expands `{serialNumber}`, `{oui}`, `{productClass}`, `{deviceId}` and `{secret}` /
 * `{secret:<name>}`. A secret is generated per device and per name (the same name within one
 * application gives the same value); `secret` tells whether the value contains one.
 */
export function expandTemplate(template: string, device: Device, secrets: Map<string, string>): { value: string; secret: boolean } {
  let secret = false;
  const value = template.replace(TEMPLATE_RE, (_m, key: string) => {
    if (key === 'serialNumber') return device.serialNumber;
    if (key === 'oui') return device.oui;
    if (key === 'productClass') return device.productClass;
    if (key === 'deviceId') return device.id;
    secret = true;
    const name = key.includes(':') ? key.slice(key.indexOf(':') + 1) : '';
    let s = secrets.get(name);
    if (s === undefined) {
      s = generateSecret(24);
      secrets.set(name, s);
    }
    return s;
  });
  const leftover = /\{[^}]*\}/.exec(value);
  if (leftover && !secret) throw new ProfileTemplateError(template, `unknown template ${leftover[0]} in ${JSON.stringify(template)}`);
  return { value, secret };
}

// RFC 3986 unreserved characters. Annex G's UDP connection request carries the username raw in its query (`un=`;
// neither GenieACS nor icwmp percent-encodes or decodes it) and signs it, so `&`, `%`, `#`, space... would break it.
const URL_UNSAFE = /[^A-Za-z0-9._~-]/g;

/** A generated connection-request username made URL-safe: each other character becomes `_`. */
export function urlSafeUsername(username: string): string {
  return username.replace(URL_UNSAFE, '_');
}

/**
 * The SetParameterValues arguments that apply a device type's profile to one device, or null when
 * the profile asks for nothing. Generated connection-request credentials reuse the device's
 * remembered ones so a re-applied profile does not rotate them; values holding a secret are sealed.
 */
export function buildProfileArgs(type: DeviceType, device: Device, root: DataModelRoot, box: SecretBox, parameterKey = profileParameterKey(type)): SystemSetArgs | null {
  const secrets = new Map<string, string>();
  const list: SystemParameterValueArg[] = [];
  const seen = new Set<string>();
  const add = (arg: SystemParameterValueArg) => {
    // The same name twice in one SetParameterValues is invalid (cwmp-protocol §3.2); the last wins.
    if (seen.has(arg.name)) list.splice(list.findIndex((p) => p.name === arg.name), 1);
    seen.add(arg.name);
    list.push(arg);
  };
  const push = (name: string, value: string, typeName: string, sealed: boolean) =>
    add(sealed ? { name, value: box.encrypt(value), type: typeName, sealed: true } : { name, value, type: typeName });
  for (const entry of type.profile) {
    const { value, secret } = expandTemplate(entry.value, device, secrets);
    push(absolutePath(root, entry.path), value, entry.type, secret);
  }
  let connectionRequestAuth: ConnectionRequestAuth | undefined;
  const policy = type.connectionRequestCredentials;
  if (policy.mode === 'generate') {
    const remembered = device.connectionRequestAuth;
    const username = remembered?.username ?? urlSafeUsername(expandTemplate(policy.usernameTemplate, device, secrets).value);
    const passwordSealed = remembered?.passwordSealed ?? box.encrypt(generateSecret(policy.passwordLength));
    connectionRequestAuth = { username, passwordSealed };
    push(`${root}ManagementServer.ConnectionRequestUsername`, username, 'xsd:string', false);
    add({ name: `${root}ManagementServer.ConnectionRequestPassword`, value: passwordSealed, type: 'xsd:string', sealed: true });
  }
  if (list.length === 0) return null;
  return {
    parameterList: list,
    parameterKey,
    purpose: 'profile',
    ...(connectionRequestAuth ? { connectionRequestAuth } : {}),
  };
}
