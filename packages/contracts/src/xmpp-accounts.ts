import { z } from 'zod';
import { createParser } from './validation.js';

// The CPEs' accounts on the ACS's XMPP server (TR-069 Annex K): connreq-xmpp holds the server's admin session and
// serves these over the bus, so the registry can provision a device's XMPP.Connection without XMPP of its own.

// RFC 7622 localpart without the characters XMPP forbids there; TR-181 XMPP.Connection.Username is string(256).
const localpart = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s"&'/:<>@]+$/, 'expected an XMPP localpart (no spaces or "&\'/:<>@)');

/** `<prefix>.xmpp.account.ensure`: create this account, or set its password when it exists. */
export const XmppAccountEnsureRequestSchema = z.object({
  username: localpart,
  // TR-181 XMPP.Connection.Password is string(256); an empty one would let anybody log in as the CPE.
  password: z.string().min(1).max(256),
});

/** `<prefix>.xmpp.account.remove`: delete this account; one that does not exist is not an error. */
export const XmppAccountRemoveRequestSchema = z.object({ username: localpart });

const bareJid = z.string().regex(/^[^@/\s]+@[^@/\s]+$/, 'expected a bare JID local@domain');

/** What the CPE's XMPP.Connection (and ManagementServer.ConnReqAllowedJabberIDs) must be configured with. */
export const XmppAccountEnsureReplySchema = z.object({
  /** The account's bare JID, `username@domain`. */
  jid: bareJid,
  /** XMPP.Connection.Domain. */
  domain: z.string().min(1).max(1023),
  /** XMPP.Connection.Server.{i}.ServerAddress / Port (ServerConnectAlgorithm `ServerTable`). */
  server: z.object({ address: z.string().min(1).max(256), port: z.number().int().min(1).max(65_535) }),
  /** XMPP.Connection.UseTLS. */
  useTLS: z.boolean(),
  /** ConnReqAllowedJabberIDs: the ACS's bare JID, so any of its replicas (resources) may send connection requests. */
  allowedJids: z.array(bareJid).min(1).max(32),
});

/** The reply to a remove: the bare JID that no longer exists. */
export const XmppAccountRemoveReplySchema = z.object({ jid: bareJid });

export type XmppAccountEnsureRequest = z.infer<typeof XmppAccountEnsureRequestSchema>;
export type XmppAccountRemoveRequest = z.infer<typeof XmppAccountRemoveRequestSchema>;
export type XmppAccountEnsureReply = z.infer<typeof XmppAccountEnsureReplySchema>;
export type XmppAccountRemoveReply = z.infer<typeof XmppAccountRemoveReplySchema>;

export const parseXmppAccountEnsureRequest = createParser('XmppAccountEnsureRequest', XmppAccountEnsureRequestSchema);
export const parseXmppAccountRemoveRequest = createParser('XmppAccountRemoveRequest', XmppAccountRemoveRequestSchema);
export const parseXmppAccountEnsureReply = createParser('XmppAccountEnsureReply', XmppAccountEnsureReplySchema);
export const parseXmppAccountRemoveReply = createParser('XmppAccountRemoveReply', XmppAccountRemoveReplySchema);
