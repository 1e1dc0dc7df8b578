import { startProsody, type ProsodyServer } from '@acs/testkit';
import xml from '@xmpp/xml';
import { createXmppSession, type XmppSession } from '../src/xmpp-session.js';
import { XmppSessionDownError, XmppStanzaError } from '../src/xmpp-errors.js';
import { parseXmppService } from '../src/xmpp-client.js';
import { startFreezableProxy } from './support/freezable-proxy.js';
import { ACS, capturingLogger, reaches, sessionOptions } from './support/xmpp.js';

describe('XMPP session', () => {
  let server: ProsodyServer;
  const sessions: XmppSession[] = [];
  const open = (overrides: Parameters<typeof sessionOptions>[2] = {}) => {
    const { logger, lines } = capturingLogger();
    const session = createXmppSession(sessionOptions(server, logger, overrides));
    sessions.push(session);
    return { session, lines };
  };

  beforeAll(async () => {
    server = await startProsody({ users: [ACS] });
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('logs in over STARTTLS trusting the configured CA, binding its own resource', async () => {
    const { session, lines } = open({ resource: 'acs-host1-abc123' });
    expect(session.state).toBe('offline');
    session.start();
    await session.online();
    expect(session.state).toBe('online');
    expect(session.jid).toBe(`acs@${server.domain}/acs-host1-abc123`);
    expect(session.bareJid).toBe(`acs@${server.domain}`);
    const reply = await session.request(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), { timeoutMs: 5_000 });
    expect(reply.attrs.type).toBe('result');
    expect(lines.filter((l) => l.msg === 'XMPP session online')).toHaveLength(1);
  });

  it('logs in over direct TLS (xmpps://)', async () => {
    const { session } = open({ directTls: true });
    session.start();
    await session.online();
    expect(session.jid).toMatch(new RegExp(`^acs@${server.domain}/acs-test-`));
  });

  it('two replicas are online at once, each with its own resource', async () => {
    const a = open().session;
    const b = open().session;
    a.start();
    b.start();
    await Promise.all([a.online(), b.online()]);
    expect(a.jid).not.toBe(b.jid);
    // The first one was not kicked off by the second.
    expect(a.state).toBe('online');
  });

  it('does not trust the self-signed certificate without the CA, and keeps retrying (logged once, repeats at debug)', async () => {
    const { session, lines } = open({ ca: undefined, reconnect: { baseMs: 20, maxMs: 40 } });
    let attempts = 0;
    const threeFailures = new Promise<void>((resolve) =>
      session.onStateChange((s) => {
        if (s === 'offline' && ++attempts === 3) resolve();
      }),
    );
    session.start();
    await threeFailures;
    expect(session.jid).toBeUndefined();
    const down = lines.filter((l) => l.msg === 'XMPP session offline');
    expect(down[0]).toMatchObject({ level: 'warn', reason: expect.stringMatching(/self[- ]signed|unable to verify/i) });
    expect(down.slice(1).every((l) => l.level === 'debug')).toBe(true);
  });

  it('reports a wrong password as the reason it is offline', async () => {
    const { session, lines } = open({ password: 'wrong' });
    session.start();
    await reaches(session, 'offline');
    expect(lines.find((l) => l.msg === 'XMPP session offline')).toMatchObject({ level: 'warn', reason: expect.stringMatching(/not-authorized/) });
  });

  it('refuses requests while not online, and rejects an online() waiter when stopped', async () => {
    const { session } = open();
    const iq = xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    await expect(session.request(iq, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(XmppSessionDownError);
    const waiting = session.online();
    await session.stop();
    await expect(waiting).rejects.toBeInstanceOf(XmppSessionDownError);
  });

  it('turns an error IQ into XmppStanzaError with its condition', async () => {
    const { session } = open();
    session.start();
    await session.online();
    const iq = xml('iq', { type: 'get', to: `nobody@${server.domain}/x` }, xml('query', { xmlns: 'urn:acs:test' }));
    await expect(session.request(iq, { timeoutMs: 5_000 })).rejects.toMatchObject({ condition: 'service-unavailable', constructor: XmppStanzaError });
  });

  it('notices a connection that went silent (no FIN) by its unanswered keepalive ping, and reconnects', async () => {
    const proxy = await startFreezableProxy({ host: server.host, port: server.port });
    try {
      const { session, lines } = open({ endpoint: parseXmppService(`xmpp://127.0.0.1:${proxy.port}`), keepaliveMs: 300 });
      session.start();
      await session.online();
      const first = session.jid;
      const down = reaches(session, 'offline');
      proxy.freeze();
      await down;
      expect(lines.find((l) => l.msg === 'XMPP session offline')).toMatchObject({ level: 'warn', reason: 'no answer to a keepalive ping' });
      await reaches(session, 'online');
      expect(session.jid).toBe(first);
    } finally {
      await proxy.close();
    }
  });

  it('goes offline when Prosody restarts and comes back online by itself', async () => {
    const { session, lines } = open();
    session.start();
    await session.online();
    const states: string[] = [];
    session.onStateChange((s) => states.push(s));
    const down = reaches(session, 'offline');
    const restarted = server.restart();
    await down;
    await restarted;
    await reaches(session, 'online');
    expect(states[0]).toBe('offline');
    expect(states.at(-1)).toBe('online');
    expect(lines.find((l) => l.msg === 'XMPP session offline')).toMatchObject({ level: 'warn' });
    expect(lines.filter((l) => l.msg === 'XMPP session online')).toHaveLength(2);
  });
});
