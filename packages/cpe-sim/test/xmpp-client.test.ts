import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { startProsody, type ProsodyServer } from '@acs/testkit';
import { connectXmpp, type XmppLogin } from '../src/xmpp-client.js';

// The CPE's XMPP client on its own, against real Prosody (which requires TLS on c2s).
let server: ProsodyServer;
let login: XmppLogin;

beforeAll(async () => {
  server = await startProsody({ users: [{ username: 'u1', password: 'p1' }] });
  login = { host: server.host, port: server.port, domain: server.domain, username: 'u1', password: 'p1', resource: 'r', requireTls: true, ca: readFileSync(server.caFile), timeoutMs: 5_000 };
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('the XMPP client of a simulated CPE', () => {
  it('logs in over STARTTLS with SCRAM-SHA-1, binds the resource and answers pings; UseTLS false still follows a server that requires TLS', async () => {
    for (const requireTls of [true, false]) {
      const link = await connectXmpp({ ...login, requireTls }, []);
      expect(link.jid).toBe(`u1@${server.domain}/r`);
      expect(link.tls).toBe(true);
      expect(await link.ping(2_000)).toBe(true);
      await link.close();
      await link.closed;
    }
  });

  it('classifies failures: wrong password, nothing listening, a domain the server does not serve, an abort', async () => {
    await expect(connectXmpp({ ...login, password: 'wrong' }, [])).rejects.toMatchObject({ name: 'XmppError', code: 'AUTH_FAILED' });
    await expect(connectXmpp({ ...login, port: 1 }, [])).rejects.toMatchObject({ code: 'SERVER_NOT_PRESENT' });
    await expect(connectXmpp({ ...login, domain: 'elsewhere.test' }, [])).rejects.toMatchObject({ code: 'PROTOCOL', message: expect.stringMatching(/host-unknown/) });
    const abort = new AbortController();
    const attempt = connectXmpp(login, [], abort.signal);
    abort.abort();
    await expect(attempt).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
