import { readFileSync } from 'node:fs';
import type { ProsodyServer } from '@acs/testkit';
import { provisionXmpp, type Cpe, type XmppProvisioning, type XmppStatus } from '../../src/index.js';
import { makeCpe, type TestCpeOptions } from './make-cpe.js';

/** A test CPE whose XMPP endpoint trusts the Prosody test CA. */
export function makeXmppCpe(server: ProsodyServer, o: TestCpeOptions): Cpe {
  return makeCpe({ ...o, xmpp: { ca: readFileSync(server.caFile), ...(o.xmpp || {}) } });
}

/** What the ACS would set for an account `username` (password `<username>-pw`) on the test server. */
export function provisionOn(server: ProsodyServer, cpe: Cpe, username: string, extra: Partial<XmppProvisioning> = {}): string {
  return provisionXmpp(cpe.model, {
    username,
    password: `${username}-pw`,
    domain: server.domain,
    server: { address: server.host, port: server.port },
    allowedJabberIds: [`acs@${server.domain}`],
    ...extra,
  });
}

/**
 * Resolves with the JID when the CPE's XMPP endpoint next reports `wanted` (subscribe before
 * the action that leads there); rejects after `timeoutMs` with the statuses it saw.
 */
export function nextXmppStatus(cpe: Cpe, wanted: XmppStatus, timeoutMs = 10_000): Promise<string> {
  const xmpp = cpe.xmpp;
  if (!xmpp) return Promise.reject(new Error('the CPE has no XMPP endpoint (not started?)'));
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no XMPP status ${wanted} within ${timeoutMs} ms (saw ${seen.join(', ') || 'none'})`));
    }, timeoutMs);
    const off = xmpp.onStatus((status, jid) => {
      seen.push(status);
      if (status !== wanted) return;
      clearTimeout(timer);
      off();
      resolve(jid);
    });
  });
}

/** Registers `username`, starts a CPE (no boot session), provisions it and resolves once it is logged in. */
export async function startLoggedIn(
  server: ProsodyServer,
  username: string,
  o: TestCpeOptions & { provision?: Partial<XmppProvisioning> },
): Promise<{ cpe: Cpe; jid: string; connection: string }> {
  await server.register(username, `${username}-pw`);
  const { provision, ...cpeOptions } = o;
  const cpe = makeXmppCpe(server, cpeOptions);
  await cpe.start({ inform: false });
  const enabled = nextXmppStatus(cpe, 'Enabled');
  const connection = provisionOn(server, cpe, username, provision);
  return { cpe, jid: await enabled, connection };
}
