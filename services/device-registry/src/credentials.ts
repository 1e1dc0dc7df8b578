import { createHash, timingSafeEqual } from 'node:crypto';
import type { CredentialProof, CredentialRejection, VerifyCredentialsReply, VerifyCredentialsRequest } from '@acs/contracts';
import type { RegistryDeps } from './deps.js';
import type { CredentialStore, DeviceTypeStore } from './store/device-store.js';
import { SecretFormatError, hashForBasic, hashForDigest, verifyBasic } from './secrets.js';
import { StoreConflictError } from './store/device-store.js';
import { deviceTypeMatches } from './store/device-type-match.js';
import type { Credential, DeviceType } from './store/types.js';

export const CATCH_ALL_TYPE_NAME = 'onboarding (ACS_ONBOARDING_USERNAME)';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** RFC 2617 §3.2.2.1: the response a client holding the password computes, from the stored HA1. */
export function expectedDigestResponse(ha1: string, proof: Extract<CredentialProof, { scheme: 'digest' }>): string {
  const ha2 = md5(`${proof.method}:${proof.uri}`);
  if (proof.qop === undefined || proof.qop === '') return md5(`${ha1}:${proof.nonce}:${ha2}`);
  return md5(`${ha1}:${proof.nonce}:${proof.nc ?? ''}:${proof.cnonce ?? ''}:${proof.qop}:${ha2}`);
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

async function proofMatches(credential: Credential, proof: CredentialProof): Promise<boolean> {
  if (proof.scheme === 'digest') {
    // HA1 is bound to the realm it was computed for; another realm can never match.
    if (proof.realm !== credential.realm) return false;
    return sameHex(expectedDigestResponse(credential.ha1, proof), proof.response);
  }
  try {
    return await verifyBasic(proof.password, credential.basicHash);
  } catch (err) {
    if (err instanceof SecretFormatError) return false;
    throw err;
  }
}

/** Rejections ordered from least to most telling; the most telling one that applies is reported. */
const REJECTION_RANK: Record<CredentialRejection, number> = { unknown_username: 0, bad_password: 1, disabled: 2, wrong_device: 3 };

/**
 * credentialsVerify: may `username` with `proof` open a session for the device of the Inform?
 * A device credential admits only its own device (a pending one too: the CPE may have accepted it
 * in a session whose answer we never saw, and using it proves it, so it becomes active). A type
 * credential admits devices its type matches (a catch-all type: any device), unless the device
 * completed onboarding to its own credential.
 */
export async function verifyCredentials(deps: RegistryDeps<CredentialStore & DeviceTypeStore>, req: VerifyCredentialsRequest): Promise<VerifyCredentialsReply> {
  const { store, clock } = deps;
  const candidates = await store.findCredentialsByUsername(req.username);
  if (candidates.length === 0) return { ok: false, reason: 'unknown_username' };
  const { oui, productClass, serialNumber } = req.deviceIdStruct;
  let rejection: CredentialRejection = 'bad_password';
  const reject = (r: CredentialRejection) => {
    if (REJECTION_RANK[r] > REJECTION_RANK[rejection]) rejection = r;
  };

  const own = candidates.filter((c) => c.scope.kind === 'device' && c.scope.deviceId === req.deviceId);
  for (const cred of own) {
    if (!(await proofMatches(cred, req.proof))) continue;
    if (cred.status === 'disabled') {
      reject('disabled');
      continue;
    }
    if (cred.status === 'pending') await store.updateCredential(cred.id, { status: 'active' }, clock());
    return { ok: true, scope: 'device', credentialId: cred.id };
  }

  // The password first: matching device types (globs over the serial, type reads) is only worth doing for
  // a caller who proved it holds one of these type credentials.
  const typeCreds: Credential[] = [];
  for (const c of candidates) if (c.scope.kind === 'deviceType' && (await proofMatches(c, req.proof))) typeCreds.push(c);
  if (typeCreds.length > 0) {
    const matched = await store.matchDeviceType(oui, productClass, serialNumber);
    // The device's own (most specific) type first, then catch-all ones.
    const ordered = [...typeCreds].sort((a, b) => Number(scopeTypeId(b) === matched?.id) - Number(scopeTypeId(a) === matched?.id));
    for (const cred of ordered) {
      const type = scopeTypeId(cred) === matched?.id ? matched : await store.getDeviceType(scopeTypeId(cred));
      if (type === null) continue;
      const admits = type.id === matched?.id || (type.catchAll && deviceTypeMatches(type, oui, productClass, serialNumber));
      if (!admits) {
        reject('wrong_device');
        continue;
      }
      if (cred.status !== 'active') {
        reject('disabled');
        continue;
      }
      if (await onboarded(deps, req.deviceId)) {
        // The device has its own credential now; shared ones would let anyone holding them impersonate it.
        reject('wrong_device');
        continue;
      }
      return { ok: true, scope: 'type', credentialId: cred.id, deviceTypeId: matched?.id ?? type.id };
    }
  }

  // The username belongs to another device: an impersonation attempt whatever the password. Not
  // checking it keeps the cost bounded when many devices share a username (one scrypt each).
  if (own.length === 0 && candidates.some((c) => c.scope.kind === 'device' && c.scope.deviceId !== req.deviceId)) reject('wrong_device');
  return { ok: false, reason: rejection };
}

function scopeTypeId(cred: Credential): string {
  return cred.scope.kind === 'deviceType' ? cred.scope.deviceTypeId : '';
}

/** True once the device has an active credential of its own. */
export async function onboarded(deps: RegistryDeps<Pick<CredentialStore, 'listCredentials'>>, deviceId: string): Promise<boolean> {
  const creds = await deps.store.listCredentials({ deviceId });
  return creds.some((c) => c.scope.kind === 'device' && c.status === 'active');
}

/**
 * Makes sure the catch-all device type for ACS_ONBOARDING_USERNAME/PASSWORD exists with exactly
 * that credential (the password is re-hashed when it changed). Returns the type.
 */
export async function ensureCatchAllType(deps: RegistryDeps<CredentialStore & DeviceTypeStore>, username: string, password: string): Promise<DeviceType> {
  const { store, realm, clock } = deps;
  const find = async () => (await store.listDeviceTypes()).find((t) => t.name === CATCH_ALL_TYPE_NAME);
  let type = await find();
  if (type === undefined) {
    try {
      type = await store.createDeviceType({ name: CATCH_ALL_TYPE_NAME, catchAll: true }, clock());
    } catch (err) {
      // Replicas starting together race to create it; the loser uses the winner's.
      if (!(err instanceof StoreConflictError)) throw err;
      type = await find();
      if (type === undefined) throw err;
    }
  }
  const ha1 = hashForDigest(username, realm, password);
  const creds = await store.listCredentials({ deviceTypeId: type.id });
  // A changed ACS_ONBOARDING_USERNAME retires the old one: only the configured pair may onboard.
  for (const stale of creds.filter((c) => c.username !== username)) await store.deleteCredential(stale.id);
  const existing = creds.find((c) => c.username === username);
  if (existing === undefined) {
    const input = { username, scope: { kind: 'deviceType' as const, deviceTypeId: type.id }, realm, ha1, basicHash: await hashForBasic(password) };
    // Another replica with the same configuration may have created it a moment ago.
    await store.createCredential(input, clock()).catch((err: unknown) => {
      if (!(err instanceof StoreConflictError)) throw err;
    });
  } else if (existing.ha1 !== ha1 || existing.realm !== realm || existing.status !== 'active' || !(await verifyBasic(password, existing.basicHash).catch(() => false))) {
    await store.updateCredential(existing.id, { realm, ha1, basicHash: await hashForBasic(password), status: 'active' }, clock());
  }
  return type;
}
