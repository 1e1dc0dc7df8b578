import { startProsody, type ProsodyServer } from '@acs/testkit';
import { createXmppAccounts, XmppAccountError } from '../src/accounts.js';
import { XmppSessionDownError } from '../src/xmpp-errors.js';
import { createXmppSession, type XmppSession } from '../src/xmpp-session.js';
import { ACS, canLogin, capturingLogger, sessionOptions } from './support/xmpp.js';

describe('XMPP accounts (XEP-0133 on Prosody)', () => {
  let server: ProsodyServer;
  let admin: XmppSession;
  const sessions: XmppSession[] = [];
  const online = async (username: string, password: string) => {
    const session = createXmppSession({ ...sessionOptions(server, capturingLogger().logger), username, password });
    sessions.push(session);
    session.start();
    await session.online();
    return session;
  };

  beforeAll(async () => {
    server = await startProsody({ users: [ACS, { username: 'plain', password: 'plain-pw' }] });
    admin = await online(ACS.username, ACS.password);
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
    await server?.stop();
  });

  const accounts = () => createXmppAccounts({ session: admin, domain: server.domain, timeoutMs: 5_000 });

  it('ensure creates an account that can log in', async () => {
    await accounts().ensure('cpe-new', 'first-pw');
    expect(await canLogin(server, 'cpe-new', 'first-pw')).toBe(true);
  });

  it('ensure on an existing account changes its password: the old one is refused, the new one accepted', async () => {
    await accounts().ensure('cpe-again', 'old-pw');
    await accounts().ensure('cpe-again', 'new-pw');
    expect(await canLogin(server, 'cpe-again', 'old-pw')).toBe(false);
    expect(await canLogin(server, 'cpe-again', 'new-pw')).toBe(true);
  });

  it('remove deletes the account; removing an absent one is fine', async () => {
    await accounts().ensure('cpe-gone', 'pw');
    await accounts().remove('cpe-gone');
    expect(await canLogin(server, 'cpe-gone', 'pw')).toBe(false);
    await expect(accounts().remove('cpe-gone')).resolves.toBeUndefined();
  });

  it('a non-admin account is refused with XMPP_ADMIN_FORBIDDEN', async () => {
    const plain = await online('plain', 'plain-pw');
    const refused = await createXmppAccounts({ session: plain, domain: server.domain, timeoutMs: 5_000 }).ensure('cpe-x', 'pw').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(XmppAccountError);
    expect(refused).toMatchObject({ code: 'XMPP_ADMIN_FORBIDDEN' });
  });

  it('a session that is not online fails with XmppSessionDownError', async () => {
    const idle = createXmppSession(sessionOptions(server, capturingLogger().logger));
    await expect(createXmppAccounts({ session: idle, domain: server.domain, timeoutMs: 1_000 }).remove('x')).rejects.toBeInstanceOf(XmppSessionDownError);
  });
});
