/** A JID split into its bare part (local@domain, case-folded) and its resource (case-sensitive). */
export interface ParsedJid {
  bare: string;
  resource: string;
}

export function parseJid(jid: string): ParsedJid {
  const s = jid.trim();
  const slash = s.indexOf('/');
  // Localpart and domainpart compare case-insensitively (RFC 7622 case mapping); the resourcepart does not.
  const bare = (slash < 0 ? s : s.slice(0, slash)).toLowerCase();
  return { bare, resource: slash < 0 ? '' : s.slice(slash + 1) };
}

/**
 * ManagementServer.ConnReqAllowedJabberIDs matching (TR-069 Annex K): an empty list allows
 * anyone, a bare JID any of its resources, a full JID only itself.
 */
export function isAllowedJabberId(from: string, allowedList: string): boolean {
  const allowed = allowedList
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (allowed.length === 0) return true;
  const sender = parseJid(from);
  return allowed.some((entry) => {
    const a = parseJid(entry);
    return a.bare === sender.bare && (a.resource === '' || a.resource === sender.resource);
  });
}
