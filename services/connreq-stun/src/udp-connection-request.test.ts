import { describe, expect, it } from '@jest/globals';
import { parseConnreqUdpCommand, type ConnreqUdpCommand } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { parseUdpConnectionRequest } from '@acs/stun';
import type { Binding } from './binding-store.js';
import type { Datagram, Relay } from './relay.js';
import type { SessionWaiter } from './session-waiter.js';
import { createUdpConnectionRequest } from './udp-connection-request.js';

const log = createLogger({ service: 't', level: 'silent' });

function command(extra: Partial<ConnreqUdpCommand> = {}): ConnreqUdpCommand {
  const parsed = parseConnreqUdpCommand({
    requestId: 'r1',
    deviceId: 'dev-1',
    deadline: new Date(Date.now() + 10_000).toISOString(),
    host: '198.51.100.7',
    port: 40_000,
    credentials: { username: 'cr', password: 'pw' },
    ...extra,
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

function harness(binding: Binding | null, started = true) {
  const sent: Datagram[] = [];
  const via: Array<string | undefined> = [];
  const relay: Relay = {
    send: async (replica, d) => {
      sent.push(d);
      via.push(replica);
      return {};
    },
    endpoint: { name: 'relay', subject: 'x', handler: () => ({}) },
  };
  const waiter: SessionWaiter = { waitFor: async () => started, start: async () => {}, stop: async () => {} };
  const perform = createUdpConnectionRequest({ bindings: { get: async () => binding }, relay, waiter, copies: 3, intervalMs: 0, sessionWaitMs: 1_000, addressMaxAgeMs: 60_000 });
  const run = (cmd: ConnreqUdpCommand) => perform(cmd, { signal: new AbortController().signal, deadline: Date.now() + 5_000, log });
  return { sent, via, run };
}

describe('UDP connection request (perform)', () => {
  const binding: Binding = { host: '203.0.113.9', port: 5_000, firstSeenAt: Date.now() - 1_000, lastSeenAt: Date.now() - 500, replica: 'a' };

  it('sends to the live binding rather than an older reported address, through the replica holding it', async () => {
    const { sent, via, run } = harness(binding);
    expect(await run(command({ addressSeenAt: new Date(Date.now() - 60_000).toISOString() }))).toMatchObject({ outcome: 'accepted' });
    expect(sent[0]).toMatchObject({ host: '203.0.113.9', port: 5_000, copies: 3 });
    expect(via).toEqual(['a']);
  });

  it('sends to a reported address newer than the binding, from its own socket', async () => {
    const { sent, via, run } = harness(binding);
    await run(command({ addressSeenAt: new Date().toISOString() }));
    expect(sent[0]).toMatchObject({ host: '198.51.100.7', port: 40_000 });
    expect(via).toEqual([undefined]);
  });

  it('keeps ts strictly increasing per device, so a second poke within the same second is not stale to the CPE', async () => {
    const { sent, run } = harness(binding);
    await run(command());
    await run(command());
    const [a, b] = sent.map((d) => parseUdpConnectionRequest(d.datagram));
    if (!a?.ok || !b?.ok) throw new Error('unparseable datagram');
    expect(b.request.ts).toBeGreaterThan(a.request.ts);
    expect(b.request.id).not.toBe(a.request.id);
  });

  it('ends timeout (not retried) without a session, and unreachable with no route at all', async () => {
    expect(await harness(binding, false).run(command())).toMatchObject({ outcome: 'timeout', retryable: false });
    const none = await harness(null).run(command());
    expect(none).toMatchObject({ outcome: 'unreachable', retryable: false });
    expect(none.detail).toMatch(/^no_route: .*never confirmed/);
  });
});
