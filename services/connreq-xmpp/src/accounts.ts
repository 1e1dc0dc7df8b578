// CPE accounts on the XMPP server through its standard admin interface: XEP-0133 service administration, i.e.
// XEP-0050 ad-hoc commands executed against the server's domain JID by an admin account (Prosody: mod_admin_adhoc).
import xml, { type Element } from '@xmpp/xml';
import { XmppStanzaError } from './xmpp-errors.js';
import type { XmppSession } from './xmpp-session.js';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DATA = 'jabber:x:data';
const ADMIN = 'http://jabber.org/protocol/admin';
const ADD_USER = `${ADMIN}#add-user`;
const CHANGE_PASSWORD = `${ADMIN}#change-user-password`;
const DELETE_USER = `${ADMIN}#delete-user`;

export type XmppAccountErrorCode = 'XMPP_ADMIN_FORBIDDEN' | 'XMPP_ADMIN_UNSUPPORTED' | 'XMPP_ACCOUNT_REFUSED';

/**
 * The server refused an account command: our JID is no admin there (`XMPP_ADMIN_FORBIDDEN`), it has no such
 * command (`XMPP_ADMIN_UNSUPPORTED`: no XEP-0133), or the command itself failed (`XMPP_ACCOUNT_REFUSED`).
 * Session down and timeouts come as XmppSessionDownError / XmppTimeoutError.
 */
export class XmppAccountError extends Error {
  override readonly name = 'XmppAccountError';
  constructor(
    readonly code: XmppAccountErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface XmppAccounts {
  /** Creates `username@domain` with `password`, or sets its password when it exists. */
  ensure(username: string, password: string): Promise<void>;
  /** Deletes `username@domain`; one that does not exist is fine. */
  remove(username: string): Promise<void>;
}

export interface XmppAccountsOptions {
  /** An online session of an admin account of `domain`. */
  readonly session: XmppSession;
  readonly domain: string;
  /** Per IQ round trip. */
  readonly timeoutMs: number;
}

interface Note {
  readonly type: string;
  readonly text: string;
}

function field(name: string, values: string | readonly string[]): Element {
  return xml('field', { var: name }, ...(typeof values === 'string' ? [values] : values).map((v) => xml('value', {}, v)));
}

function notesOf(command: Element | undefined): Note[] {
  return (command?.getChildren('note') ?? []).map((n) => ({ type: n.attrs.type ?? 'info', text: n.text() }));
}

const describeNotes = (notes: readonly Note[]) => notes.map((n) => n.text).join('; ') || 'no reason given';

export function createXmppAccounts(options: XmppAccountsOptions): XmppAccounts {
  const { session, domain, timeoutMs } = options;

  async function round(command: Element): Promise<Element | undefined> {
    try {
      // A session (re)connecting at this moment (start-up, a server restart) is waited for, within the same bound.
      if (session.state !== 'online') await session.online(AbortSignal.timeout(timeoutMs)).catch(() => undefined);
      const reply = await session.request(xml('iq', { type: 'set', to: domain }, command), { timeoutMs });
      return reply.getChild('command', NS_COMMANDS);
    } catch (err) {
      if (!(err instanceof XmppStanzaError)) throw err;
      const node = command.attrs.node ?? '';
      if (err.condition === 'forbidden' || err.condition === 'not-authorized') {
        throw new XmppAccountError('XMPP_ADMIN_FORBIDDEN', `${session.bareJid} may not run ${node} on ${domain}: ${err.message}`, { cause: err });
      }
      if (err.condition === 'item-not-found' || err.condition === 'service-unavailable' || err.condition === 'feature-not-implemented') {
        throw new XmppAccountError('XMPP_ADMIN_UNSUPPORTED', `${domain} does not offer ${node} (XEP-0133): ${err.message}`, { cause: err });
      }
      throw new XmppAccountError('XMPP_ACCOUNT_REFUSED', `${domain} refused ${node}: ${err.message}`, { cause: err });
    }
  }

  /** Runs one admin command as XEP-0050 prescribes: execute, then submit the form in that command session. */
  async function run(node: string, fields: Record<string, string | readonly string[]>): Promise<{ ok: boolean; notes: Note[] }> {
    const started = await round(xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }));
    const sessionid = started?.attrs.sessionid;
    if (started?.attrs.status !== 'executing' || sessionid === undefined) {
      throw new XmppAccountError('XMPP_ACCOUNT_REFUSED', `${domain} did not open a form for ${node}: ${describeNotes(notesOf(started))}`);
    }
    const form = xml('x', { xmlns: NS_DATA, type: 'submit' }, field('FORM_TYPE', ADMIN), ...Object.entries(fields).map(([name, v]) => field(name, v)));
    const finished = await round(xml('command', { xmlns: NS_COMMANDS, node, sessionid }, form));
    const notes = notesOf(finished);
    return { ok: finished?.attrs.status === 'completed' && !notes.some((n) => n.type === 'error'), notes };
  }

  const jidOf = (username: string) => `${username}@${domain}`;

  return {
    async ensure(username, password) {
      const accountjid = jidOf(username);
      const added = await run(ADD_USER, { accountjid, password, 'password-verify': password });
      if (added.ok) return;
      // Most often "already exists"; told apart by trying the password change, not by the server's wording.
      const changed = await run(CHANGE_PASSWORD, { accountjid, password });
      if (changed.ok) return;
      throw new XmppAccountError('XMPP_ACCOUNT_REFUSED', `${domain} neither created ${accountjid} (${describeNotes(added.notes)}) nor set its password (${describeNotes(changed.notes)})`);
    },
    async remove(username) {
      const accountjid = jidOf(username);
      // XEP-0133 reports an absent account in a note, not as an error: nothing to tell apart.
      const deleted = await run(DELETE_USER, { accountjids: [accountjid] });
      if (!deleted.ok) throw new XmppAccountError('XMPP_ACCOUNT_REFUSED', `${domain} did not delete ${accountjid}: ${describeNotes(deleted.notes)}`);
    },
  };
}
