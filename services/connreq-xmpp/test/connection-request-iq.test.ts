import { parseConnreqXmppCommand, type ConnreqXmppCommand } from '@acs/contracts';
import { startProsody, type ProsodyServer } from '@acs/testkit';
import { connectionRequestStanza, createConnectionRequestIq } from '../src/connection-request-iq.js';
import { createXmppSession, type XmppSession } from '../src/xmpp-session.js';
import { ACS, capturingLogger, connectCpe, sessionOptions, type TestCpe } from './support/xmpp.js';

const TIMEOUT_MS = 1_500;

describe('connectionRequest IQ (Annex K) on Prosody', () => {
  let server: ProsodyServer;
  let session: XmppSession;
  let cpe: TestCpe;
  const { logger } = capturingLogger();
  const ctx = (deadlineInMs = 30_000) => ({ signal: new AbortController().signal, deadline: Date.now() + deadlineInMs, log: logger });
  const command = (jid: string, password = 'cr-pass'): ConnreqXmppCommand => {
    const parsed = parseConnreqXmppCommand({
      requestId: `r-${Math.random()}`,
      deviceId: '00259E-HG8245H-0001',
      deadline: new Date(Date.now() + 30_000).toISOString(),
      jid,
      credentials: { username: 'cr-user', password },
    });
    if (!parsed.ok) throw parsed.error;
    return parsed.value;
  };

  beforeAll(async () => {
    server = await startProsody({ users: [ACS, { username: 'cpe1', password: 'cpe1-pw' }] });
    session = createXmppSession(sessionOptions(server, logger));
    session.start();
    [cpe] = await Promise.all([connectCpe(server, 'cpe1', 'cpe1-pw'), session.online()]);
  });

  afterAll(async () => {
    await cpe?.stop();
    await session?.stop();
    await server?.stop();
  });

  const perform = () => createConnectionRequestIq({ session, timeoutMs: TIMEOUT_MS });

  it('builds the IQ as Annex K has it, escaping the credentials', () => {
    expect(connectionRequestStanza('cpe1@acs.test/cwmp', { username: 'u<1>', password: 'p&"' }).toString()).toBe(
      '<iq type="get" to="cpe1@acs.test/cwmp"><connectionRequest xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">' +
        '<username>u&lt;1&gt;</username><password>p&amp;"</password></connectionRequest></iq>',
    );
  });

  it('a CPE answering result: accepted, and it saw our JID and the credentials', async () => {
    cpe.answer = 'accept';
    await expect(perform()(command(cpe.jid, 'p<&>"'), ctx())).resolves.toEqual({ outcome: 'accepted' });
    expect(cpe.received.at(-1)).toEqual({ from: session.jid, type: 'get', username: 'cr-user', password: 'p<&>"' });
  });

  it.each([
    ['not-authorized', 'auth_failed'],
    ['not-autorized', 'auth_failed'],
    ['service-unavailable', 'unreachable'],
    ['item-not-found', 'unreachable'],
    ['recipient-unavailable', 'unreachable'],
  ])('a CPE answering %s: %s, not retried', async (condition, outcome) => {
    cpe.answer = { condition, type: 'auth' };
    await expect(perform()(command(cpe.jid), ctx())).resolves.toEqual({ outcome, retryable: false, detail: `XMPP ${condition} (auth)` });
  });

  it('any other condition: rejected with the condition and text in detail', async () => {
    cpe.answer = { condition: 'resource-constraint', type: 'wait', text: 'busy with a session' };
    await expect(perform()(command(cpe.jid), ctx())).resolves.toEqual({
      outcome: 'rejected',
      retryable: false,
      detail: 'XMPP resource-constraint (wait): busy with a session',
    });
  });

  it('an offline CPE: unreachable from the server at once, well under the timeout', async () => {
    const started = Date.now();
    const result = await perform()(command(`cpe1@${server.domain}/gone`), ctx());
    expect(result).toMatchObject({ outcome: 'unreachable', retryable: false, detail: expect.stringContaining('service-unavailable') });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 3);
  });

  it('a CPE that never answers: timeout after CONNREQ_XMPP_TIMEOUT_MS', async () => {
    cpe.answer = 'ignore';
    const started = Date.now();
    const result = await perform()(command(cpe.jid), ctx());
    expect(result).toEqual({ outcome: 'timeout', retryable: false, detail: `no answer from ${cpe.jid} within ${TIMEOUT_MS} ms` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
  });

  it('the deadline cuts the wait shorter, and a passed deadline sends nothing', async () => {
    cpe.answer = 'ignore';
    const started = Date.now();
    await expect(perform()(command(cpe.jid), ctx(300))).resolves.toMatchObject({ outcome: 'timeout' });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    const seen = cpe.received.length;
    await expect(perform()(command(cpe.jid), ctx(-1))).resolves.toMatchObject({ outcome: 'timeout', detail: 'deadline passed before the request was sent' });
    expect(cpe.received).toHaveLength(seen);
  });

  it('while the session is down: unreachable, retryable, naming the server', async () => {
    const idle = createXmppSession(sessionOptions(server, logger));
    const result = await createConnectionRequestIq({ session: idle, timeoutMs: TIMEOUT_MS })(command(cpe.jid), ctx());
    expect(result).toEqual({ outcome: 'unreachable', retryable: true, detail: `XMPP session to xmpp://127.0.0.1:${server.port} is down` });
  });

  it("the core's signal aborting (the try's deadline) ends in timeout, not in a throw", async () => {
    cpe.answer = 'ignore';
    const controller = new AbortController();
    const pending = perform()(command(cpe.jid), { ...ctx(), signal: controller.signal });
    await cpe.nextRequest();
    controller.abort(new DOMException("the try's deadline passed", 'TimeoutError'));
    await expect(pending).resolves.toMatchObject({ outcome: 'timeout', retryable: false });
  });
});
