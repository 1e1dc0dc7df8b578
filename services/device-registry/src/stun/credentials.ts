// The CPEs' STUN credentials, as the registry sees them: connreq-stun derives each device's password from its own
// secret (so it can check MESSAGE-INTEGRITY without any store) and tells the registry what to configure on the CPE.
import type { Bus } from '@acs/bus';
import { decodeJson, parseStunCredentialsReply, type StunCredentialsReply, type Subjects } from '@acs/contracts';

/** The STUN server and credentials connreq-stun issued for one device; the password is only ever in flight. */
export type StunSettings = StunCredentialsReply;

/** The port: the STUN settings to give one device. */
export interface StunCredentials {
  issue(deviceId: string): Promise<StunSettings>;
}

/** connreq-stun issued no credentials (not deployed, not answering, refused, answered nonsense). */
export class StunCredentialsError extends Error {
  override readonly name = 'StunCredentialsError';
  readonly code = 'STUN_CREDENTIALS';
}

const isErrorReply = (v: unknown): v is { ok: false; error: { code: string; message: string } } =>
  typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false && typeof (v as { error?: unknown }).error === 'object';

/** StunCredentials over connreq-stun's `stun.credentials.issue` endpoint. */
export function busStunCredentials(bus: Bus, subjects: Subjects, timeoutMs = 5_000): StunCredentials {
  const subject = subjects.stun.credentialsIssue;
  return {
    async issue(deviceId) {
      let reply;
      try {
        reply = await bus.request(subject, { deviceId }, { timeoutMs });
      } catch (cause) {
        throw new StunCredentialsError(`no answer from connreq-stun on ${subject}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
      const body = decodeJson(reply.data, subject);
      if (!body.ok) throw new StunCredentialsError(`connreq-stun answered what is not JSON on ${subject}`);
      if (isErrorReply(body.value)) throw new StunCredentialsError(`connreq-stun refused (${body.value.error.code}): ${body.value.error.message}`);
      const parsed = parseStunCredentialsReply(body.value);
      // The issue's message names the field, never the value: the reply holds a password.
      if (!parsed.ok) throw new StunCredentialsError(`connreq-stun answered an invalid credentials reply: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ') || 'shape'}`);
      return parsed.value;
    },
  };
}
