// The CPEs' XMPP accounts, as the registry sees them: connreq-xmpp holds the XMPP server's admin session and creates
// them (XEP-0133); the registry asks it over the bus and learns what to configure on the CPE from the reply.
import { createHash } from 'node:crypto';
import type { Bus } from '@acs/bus';
import { decodeJson, parseXmppAccountEnsureReply, type Subjects, type XmppAccountEnsureReply } from '@acs/contracts';

/** Where a CPE's XMPP client must log in, as connreq-xmpp answered for one account. */
export type XmppAccount = XmppAccountEnsureReply;

/** The port: create (or reset the password of) a CPE's account, and remove it when the device goes. */
export interface XmppAccounts {
  ensure(username: string, password: string): Promise<XmppAccount>;
  remove(username: string): Promise<void>;
}

/** connreq-xmpp did not create or remove the account (not deployed, XMPP server down, refused). */
export class XmppAccountError extends Error {
  override readonly name = 'XmppAccountError';
  readonly code = 'XMPP_ACCOUNT';
}

// RFC 7622 localpart: no spaces, `"&'/:<>@`; servers fold case (nodeprep), so two ids differing only in case would
// share an account unless told apart.
const LOCALPART_UNSAFE = /[^a-z0-9._%+-]/g;
const LOCALPART_MAX = 200;

/** The XMPP username of a device: its id made a safe localpart, with a short hash when anything had to change. */
export function xmppUsernameFor(deviceId: string): string {
  const safe = deviceId.toLowerCase().replace(LOCALPART_UNSAFE, '_').slice(0, LOCALPART_MAX);
  if (safe === deviceId) return safe;
  return `${safe}-${createHash('sha256').update(deviceId, 'utf8').digest('hex').slice(0, 8)}`;
}

interface ErrorReplyShape {
  ok: false;
  error: { code: string; message: string };
}

const isErrorReply = (v: unknown): v is ErrorReplyShape =>
  typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false && typeof (v as { error?: unknown }).error === 'object';

/** XmppAccounts over the bus endpoints connreq-xmpp serves. */
export function busXmppAccounts(bus: Bus, subjects: Subjects, timeoutMs = 10_000): XmppAccounts {
  async function call(subject: string, payload: object): Promise<unknown> {
    let reply;
    try {
      reply = await bus.request(subject, payload, { timeoutMs });
    } catch (cause) {
      throw new XmppAccountError(`no answer from connreq-xmpp on ${subject}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    const body = decodeJson(reply.data, subject);
    if (!body.ok) throw new XmppAccountError(`connreq-xmpp answered what is not JSON on ${subject}`);
    const value = body.value;
    if (isErrorReply(value)) throw new XmppAccountError(`connreq-xmpp refused (${value.error.code}): ${value.error.message}`);
    return value;
  }
  return {
    async ensure(username, password) {
      const body = await call(subjects.xmpp.accountEnsure, { username, password });
      const parsed = parseXmppAccountEnsureReply(body);
      if (!parsed.ok) throw new XmppAccountError(`connreq-xmpp answered an invalid account reply: ${parsed.error.message}`);
      return parsed.value;
    },
    async remove(username) {
      await call(subjects.xmpp.accountRemove, { username });
    },
  };
}
