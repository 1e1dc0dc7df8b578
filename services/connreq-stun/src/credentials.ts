import { createHmac } from 'node:crypto';

/** TR-181 STUNUsername is string(256): longer device ids cannot be STUN usernames. */
export const MAX_STUN_USERNAME = 256;

/**
 * A device's STUNPassword: HMAC-SHA256 of its username under the service's secret, so every replica knows it and
 * nothing stores it. Rotating the secret invalidates every password (the registry's provisioning sets new ones).
 */
export function stunPasswordFor(secret: string, username: string): string {
  return createHmac('sha256', secret).update(`tr111-stun-password\0${username}`).digest('base64url').slice(0, 32);
}

/**
 * The STUN username of a device: its id (readable in bindings and logs; CPEs send it in clear anyway). `null` for
 * an id longer than STUNUsername allows.
 */
export function stunUsernameFor(deviceId: string): string | null {
  return deviceId.length > MAX_STUN_USERNAME ? null : deviceId;
}
