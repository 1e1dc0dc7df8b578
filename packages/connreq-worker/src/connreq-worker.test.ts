import { describe, expect, it } from '@jest/globals';
import { BusUnavailableError, createMemoryBus, type Bus } from '@acs/bus';
import { parseConnreqUdpCommand, type ConnreqCommandBase, type Parser } from '@acs/contracts';
import type { Metrics } from '@acs/telemetry';
import { accept, command, harness, inMs, subjects, waitFor } from '../test/support/harness.js';
import { ConnreqWorkerStateError } from './errors.js';

describe('connreq worker core: how a command ends (MemoryBus, fake perform)', () => {
  it('accepted: one final event with latency from issuedAt, then the command is acked', async () => {
    const h = await harness();
    await h.startWorker();
    const issuedAt = new Date(Date.now() - 250).toISOString();
    await h.send(command('r1', { issuedAt }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r1', deviceId: '000000-Box-r1', transport: 'http', outcome: 'accepted' });
    expect(h.events[0]?.latencyMs).toBeGreaterThanOrEqual(250);
    expect(h.events[0]?.attempts).toBeUndefined();
    // perform got the parsed command (defaults filled in) and the window to end by.
    expect(h.tries).toHaveLength(1);
    expect(h.tries[0]?.cmd).toMatchObject({ requestId: 'r1', url: 'http://127.0.0.1:9/cr', allowBasicAuth: false, fallback: [], attempts: [] });
    expect(h.tries[0]?.ctx.deadline).toBeLessThanOrEqual(Date.parse(h.tries[0]?.cmd.deadline ?? ''));
    await waitFor('the ack', () => h.pendingCommands() === 0);
  });

  it('the event continues the trace of the command (traceparent)', async () => {
    const h = await harness();
    await h.startWorker();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await h.send(command('r-trace'), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await waitFor('the event', () => h.events.length === 1);
    expect(h.eventHeaders[0]?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
  });

  it('deadline already passed: timeout without a try', async () => {
    const h = await harness();
    await h.startWorker();
    await h.send(command('r-late', { deadline: inMs(-1_000) }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ outcome: 'timeout', detail: 'deadline passed before the command was taken' });
    expect(h.tries).toHaveLength(0);
  });

  it('fallback: publishes the next transport command (with this attempt) instead of an event', async () => {
    const h = await harness();
    await h.startWorker({ perform: () => ({ outcome: 'unreachable', detail: 'ECONNREFUSED' }) });
    const xmpp = { jid: 'cpe1@xmpp.example/ConnReq', credentials: { username: 'cruser', password: 'crpass' } };
    const issuedAt = new Date().toISOString();
    await h.send(command('r-fb', { deadline: inMs(2_000), issuedAt, fallback: [{ transport: 'xmpp', command: xmpp }] }));
    await waitFor('the fallback command', () => h.xmppCommands.length === 1);
    const next = h.xmppCommands[0];
    expect(next).toMatchObject({ requestId: 'r-fb', deviceId: '000000-Box-r-fb', issuedAt, jid: xmpp.jid, fallback: [] });
    expect(next?.attempts).toHaveLength(1);
    expect(next?.attempts[0]).toMatchObject({ transport: 'http', outcome: 'unreachable', detail: 'ECONNREFUSED' });
    await waitFor('the ack', () => h.pendingCommands() === 0);
    expect(h.events).toHaveLength(0);
    // The hop's msgId is requestId:<attempts>: the same hop again would be a duplicate.
    expect((await h.bus.publishDurable(subjects.cmd.connreq.xmpp, {}, { msgId: 'r-fb:1' })).duplicate).toBe(true);
  });

  it('no fallback hop once the deadline has passed (the next transport could only time out): the final event ends the poke', async () => {
    const h = await harness();
    // A try that lasts until its signal says the window is over (here: the command's deadline).
    const perform = async (_: unknown, ctx: { signal: AbortSignal }) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      return { outcome: 'timeout' as const, detail: `aborted: ${(ctx.signal.reason as Error).name}` };
    };
    await h.startWorker({ perform });
    const started = Date.now();
    await h.send(command('r-fb-late', { deadline: inMs(300), fallback: [{ transport: 'xmpp', command: {} }] }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-fb-late', outcome: 'timeout', detail: 'aborted: TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.xmppCommands).toHaveLength(0);
  });

  it('accepted ends the poke even with a fallback plan; earlier attempts travel in the event', async () => {
    const h = await harness();
    await h.startWorker();
    const earlier = { transport: 'udp', outcome: 'timeout', latencyMs: 12 };
    await h.send(command('r-fb2', { fallback: [{ transport: 'xmpp', command: {} }], attempts: [earlier] }));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ outcome: 'accepted', attempts: [earlier] });
    expect(h.xmppCommands).toHaveLength(0);
  });

  it('the same requestId delivered twice ends in one event only (never two accepted)', async () => {
    const h = await harness();
    await h.startWorker();
    const cmd = command('r-dup');
    await h.send(cmd, { msgId: 'delivery-a' });
    await h.send(cmd, { msgId: 'delivery-b' });
    await waitFor('both commands handled', () => h.pendingCommands() === 0 && h.tries.filter((t) => t.endedAt !== undefined).length === 2);
    // Both deliveries were tried; the events stream kept one.
    expect(h.events.filter((e) => e.requestId === 'r-dup')).toHaveLength(1);
  });

  it('an invalid command is dead-lettered and terminated; the worker carries on', async () => {
    const h = await harness();
    await h.startWorker();
    await h.send({ requestId: 'bad', deviceId: 'd', url: 'https://not-http.example/cr', deadline: 'soon' }, { msgId: 'bad-1' });
    await h.bus.publishDurable(subjects.cmd.connreq.http, new TextEncoder().encode('not json'), { msgId: 'bad-2' });
    await h.send(command('r-after'));
    await waitFor('two dead letters and the event', () => h.deadLetters.length === 2 && h.events.length === 1);
    expect(h.deadLetters.map((d) => d.reason)).toEqual(['INVALID_PAYLOAD', 'INVALID_PAYLOAD']);
    expect(h.deadLetters[0]?.subject).toBe(subjects.cmd.connreq.http);
    expect(h.deadLetters[0]?.issues?.map((i) => i.path[0])).toEqual(expect.arrayContaining(['url', 'deadline']));
    expect(Buffer.from(h.deadLetters[1]?.payloadBase64 ?? '', 'base64').toString()).toBe('not json');
    expect(h.events[0]).toMatchObject({ requestId: 'r-after', outcome: 'accepted' });
    expect(h.tries.map((t) => t.cmd.requestId)).toEqual(['r-after']);
    await waitFor('nothing left', () => h.pendingCommands() === 0);
  });

  it('acks only after the event is stored: a failed publish hands the command back and it ends in one event', async () => {
    const h = await harness();
    const real = createMemoryBus({ broker: h.broker });
    let failures = 0;
    // The bus port with an outage on the first event publish (a fake over the real in-process adapter).
    const flaky: Bus = Object.assign(Object.create(real) as Bus, {
      publishDurable: async (...args: Parameters<Bus['publishDurable']>) => {
        if (args[0].startsWith('acs.evt.') && failures === 0) {
          failures += 1;
          throw new BusUnavailableError('publish not confirmed (test outage)');
        }
        return real.publishDurable(...args);
      },
    });
    await h.startWorker({ bus: flaky });
    await h.send(command('r-outage'));
    await waitFor('the event after the redelivery', () => h.events.length === 1, 8_000);
    expect(failures).toBe(1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-outage', outcome: 'accepted' });
    // The CPE was asked twice (the first outcome was never stored), the stream holds one event and no command.
    expect(h.tries).toHaveLength(2);
    await waitFor('the ack', () => h.pendingCommands() === 0);
  });

  it('a perform that throws is not an outcome: the command is handed back and tried again', async () => {
    const h = await harness();
    await h.startWorker({
      perform: (_, __, tryNo) => {
        if (tryNo === 1) throw new Error('transport bug');
        return { outcome: 'accepted' };
      },
    });
    await h.send(command('r-throw'));
    await waitFor('the event after the redelivery', () => h.events.length === 1, 8_000);
    expect(h.events[0]).toMatchObject({ requestId: 'r-throw', outcome: 'accepted' });
    expect(h.tries).toHaveLength(2);
    // Handed back with the publish-retry pause, not at once.
    expect((h.tries[1]?.startedAt ?? 0) - (h.tries[0]?.startedAt ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('any transport: a UDP worker consumes cmd.connreq.udp and names udp in the hop, the event and its metrics', async () => {
    const h = await harness();
    const counted: { name: string; attributes: unknown }[] = [];
    const metrics: Metrics = {
      counter: (name) => ({ add: (_v, attributes) => counted.push({ name, attributes }) }),
      histogram: (name) => ({ record: (_v, attributes) => counted.push({ name, attributes }) }),
      upDownCounter: (name) => ({ add: (_v, attributes) => counted.push({ name, attributes }) }),
    };
    let calls = 0;
    await h.startWorker({
      transport: 'udp',
      parse: parseConnreqUdpCommand as Parser<ConnreqCommandBase>,
      metrics,
      perform: () => (++calls === 1 ? { outcome: 'timeout' } : { outcome: 'accepted' }),
    });
    const udp = (requestId: string, extra: Record<string, unknown> = {}) => ({
      requestId,
      deviceId: `000000-Box-${requestId}`,
      host: '127.0.0.1',
      port: 9,
      credentials: { username: 'u', password: 'p' },
      deadline: inMs(5_000),
      ...extra,
    });
    await h.send(udp('r-udp1', { fallback: [{ transport: 'xmpp', command: { jid: 'a@b', credentials: { username: 'u', password: 'p' } } }] }), { subject: subjects.cmd.connreq.udp });
    await waitFor('the hop', () => h.xmppCommands.length === 1);
    expect(h.xmppCommands[0]?.attempts).toEqual([expect.objectContaining({ transport: 'udp', outcome: 'timeout' })]);
    await h.send(udp('r-udp2'), { subject: subjects.cmd.connreq.udp });
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-udp2', transport: 'udp', outcome: 'accepted' });
    expect(counted).toEqual([
      { name: 'acs.pokes', attributes: { transport: 'udp', outcome: 'timeout', final: false } },
      { name: 'acs.pokes', attributes: { transport: 'udp', outcome: 'accepted', final: true } },
      { name: 'acs.poke.latency', attributes: { transport: 'udp', outcome: 'accepted' } },
    ]);
  });

  it('refuses to start twice', async () => {
    const h = await harness();
    const worker = await h.startWorker({ perform: accept });
    await expect(worker.start()).rejects.toBeInstanceOf(ConnreqWorkerStateError);
  });
});
