import { createLogger } from '@acs/telemetry';
import { createConnectionRequestIq } from './connection-request-iq.js';
import { XmppStanzaError } from './xmpp-errors.js';
import type { XmppSession } from './xmpp-session.js';

// A session stand-in whose every IQ comes back as the server's answer for an offline CPE.
function offlineCpeSession(reconnectedAt: number | undefined): XmppSession {
  return {
    state: 'online',
    bareJid: 'acs@acs.test',
    jid: 'acs@acs.test/acs-1',
    server: 'xmpp://xmpp.acs.test',
    reconnectedAt,
    start: () => undefined,
    stop: async () => undefined,
    online: async () => undefined,
    onStateChange: () => () => undefined,
    request: async () => {
      throw new XmppStanzaError('service-unavailable', undefined, 'cancel');
    },
  };
}

const command = {
  requestId: 'r1',
  deviceId: 'd1',
  deadline: '2026-12-01T00:00:30.000Z',
  fallback: [],
  attempts: [],
  jid: 'cpe1@acs.test/cwmp',
  credentials: { username: 'u', password: 'p' },
};
const t0 = Date.parse('2026-12-01T00:00:00.000Z');
const ctx = { signal: new AbortController().signal, deadline: t0 + 30_000, log: createLogger({ service: 'test', level: 'silent' }) };

describe('offline CPEs right after the session came back', () => {
  it('are retried within the grace period: the server restarted, the CPEs are reconnecting too', async () => {
    const perform = createConnectionRequestIq({ session: offlineCpeSession(t0 - 5_000), timeoutMs: 5_000, reconnectGraceMs: 30_000, now: () => t0 });
    await expect(perform(command, ctx)).resolves.toMatchObject({ outcome: 'unreachable', retryable: true, detail: expect.stringContaining('may still be reconnecting') });
  });

  it('are reported at once after it, and when the session never lost a connection', async () => {
    for (const reconnectedAt of [t0 - 31_000, undefined]) {
      const perform = createConnectionRequestIq({ session: offlineCpeSession(reconnectedAt), timeoutMs: 5_000, reconnectGraceMs: 30_000, now: () => t0 });
      await expect(perform(command, ctx)).resolves.toEqual({ outcome: 'unreachable', retryable: false, detail: 'XMPP service-unavailable (cancel)' });
    }
  });
});
