import { createNatsBus, type Bus, type ServiceHandle } from '@acs/bus';
import { createSubjects, decodeJson, parseErrorReply, parseXmppAccountEnsureReply, type Subjects } from '@acs/contracts';
import { startNats, startProsody, type NatsServer, type ProsodyServer } from '@acs/testkit';
import { serveAccountEndpoints } from '../src/account-endpoints.js';
import { createXmppAccounts } from '../src/accounts.js';
import { createXmppSession, type XmppSession } from '../src/xmpp-session.js';
import { ACS, canLogin, capturingLogger, sessionOptions } from './support/xmpp.js';

describe('XMPP account endpoints on NATS', () => {
  let nats: NatsServer;
  let server: ProsodyServer;
  let bus: Bus;
  let client: Bus;
  const sessions: XmppSession[] = [];
  const handles: ServiceHandle[] = [];
  const { logger } = capturingLogger();
  const cpe = { domain: '', server: { address: 'xmpp.acs.example', port: 5222 }, useTLS: true, allowedJids: [] as string[] };

  const serve = async (subjects: Subjects, session: XmppSession) => {
    const accounts = createXmppAccounts({ session, domain: server.domain, timeoutMs: 5_000 });
    handles.push(await serveAccountEndpoints({ bus, subjects, accounts, logger, cpe: { ...cpe, domain: server.domain, allowedJids: [session.bareJid] } }));
    await bus.flush();
  };
  const ask = async (subject: string, payload: object | Uint8Array) => {
    const reply = decodeJson((await client.request(subject, payload, { timeoutMs: 10_000 })).data, subject);
    if (!reply.ok) throw reply.error;
    return reply.value;
  };
  const errorOf = (reply: unknown) => {
    const parsed = parseErrorReply(reply);
    if (!parsed.ok) throw new Error(`expected an ErrorReply, got ${JSON.stringify(reply)}`);
    return parsed.value.error;
  };

  const subjects = createSubjects('t1.acs');

  beforeAll(async () => {
    [nats, server] = await Promise.all([startNats(), startProsody({ users: [ACS] })]);
    [bus, client] = await Promise.all([createNatsBus({ servers: nats.url, name: 'connreq-xmpp' }), createNatsBus({ servers: nats.url, name: 'registry' })]);
    const session = createXmppSession(sessionOptions(server, logger));
    sessions.push(session);
    session.start();
    await session.online();
    await serve(subjects, session);
  });

  afterAll(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    await Promise.all(sessions.map((s) => s.stop()));
    await Promise.all([bus?.close(), client?.close()]);
    await Promise.all([nats?.stop(), server?.stop()]);
  });

  it('ensure creates the account and answers what the CPE must be configured with', async () => {
    const reply = await ask(subjects.xmpp.accountEnsure, { username: 'cpe-bus-1', password: 'pw-1' });
    expect(parseXmppAccountEnsureReply(reply)).toEqual({
      ok: true,
      value: {
        jid: `cpe-bus-1@${server.domain}`,
        domain: server.domain,
        server: { address: 'xmpp.acs.example', port: 5222 },
        useTLS: true,
        allowedJids: [`acs@${server.domain}`],
      },
    });
    expect(await canLogin(server, 'cpe-bus-1', 'pw-1')).toBe(true);
  });

  it('remove deletes the account and answers its JID', async () => {
    await ask(subjects.xmpp.accountEnsure, { username: 'cpe-bus-2', password: 'pw-2' });
    await expect(ask(subjects.xmpp.accountRemove, { username: 'cpe-bus-2' })).resolves.toEqual({ jid: `cpe-bus-2@${server.domain}` });
    expect(await canLogin(server, 'cpe-bus-2', 'pw-2')).toBe(false);
  });

  it('rejects an invalid payload with INVALID_PAYLOAD and the issues', async () => {
    const error = errorOf(await ask(subjects.xmpp.accountEnsure, { username: 'cpe@x', password: '' }));
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.issues?.map((i) => i.path)).toEqual([['username'], ['password']]);
    expect(errorOf(await ask(subjects.xmpp.accountRemove, new TextEncoder().encode('not json'))).code).toBe('INVALID_PAYLOAD');
  });

  it('answers UNAVAILABLE while the XMPP session is down', async () => {
    const other = createSubjects('t2.acs');
    const idle = createXmppSession(sessionOptions(server, logger));
    await serve(other, idle);
    const error = errorOf(await ask(other.xmpp.accountEnsure, { username: 'cpe-bus-3', password: 'pw' }));
    expect(error).toEqual({ code: 'UNAVAILABLE', message: `XMPP session to xmpp://127.0.0.1:${server.port} is down` });
  });
});
