import { describe, expect, it } from '@jest/globals';
import { command, gate, harness, inMs, onCleanup, waitFor } from '../test/support/harness.js';
import { systemClock, type Clock } from './clock.js';

describe('connreq worker core: time (retries, pacing, the ack window, concurrency, stop)', () => {
  it('retries a retryable outcome with jittered back-off inside the deadline, then reports the tries', async () => {
    const h = await harness();
    await h.startWorker({ retry: { baseMs: 50, maxMs: 200 }, perform: () => ({ outcome: 'unreachable', detail: 'ECONNREFUSED', retryable: true }) });
    const deadlineMs = Date.now() + 1_200;
    await h.send(command('r-unr', { deadline: new Date(deadlineMs).toISOString() }));
    await waitFor('the event', () => h.events.length === 1);
    const doneAt = Date.now();
    expect(h.events[0]?.outcome).toBe('unreachable');
    const tries = Number(/^ECONNREFUSED \(after (\d+) tries\)$/.exec(h.events[0]?.detail ?? '')?.[1]);
    expect(tries).toBe(h.tries.length);
    expect(tries).toBeGreaterThanOrEqual(3);
    // Equal jitter: each wait is at least half its cap (50, 100, then 200 ms), never more than the cap plus slack.
    const gaps = h.tries.slice(1).map((t, i) => t.startedAt - (h.tries[i]?.startedAt ?? 0));
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(200, 50 * 2 ** i) / 2 - 2));
    expect(Math.max(...gaps)).toBeLessThan(200 + 150);
    // By the deadline (plus slack for a loaded machine; without the bound it would retry on), and not early.
    expect(doneAt).toBeLessThan(deadlineMs + 1_000);
    expect(doneAt).toBeGreaterThan(deadlineMs - 500);
  });

  it('never retries an outcome that is not retryable', async () => {
    const h = await harness();
    await h.startWorker({ retry: { baseMs: 10, maxMs: 20 }, perform: () => ({ outcome: 'auth_failed', detail: 'HTTP 401 after authenticating' }) });
    await h.send(command('r-auth'));
    await waitFor('the event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ outcome: 'auth_failed', detail: 'HTTP 401 after authenticating' });
    expect(h.tries).toHaveLength(1);
  });

  it('retryAfterMs: waits that long when it fits the deadline, gives up at once when not', async () => {
    const h = await harness();
    // Busy the first time, then fine.
    await h.startWorker({
      retry: { baseMs: 10, maxMs: 20 },
      perform: (_, __, n) => (n % 2 === 1 ? { outcome: 'rejected', detail: 'HTTP 503', retryable: true, retryAfterMs: 1_000 } : { outcome: 'accepted' }),
    });
    await h.send(command('r-ra1', { deadline: inMs(3_000) }));
    await waitFor('the first event', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-ra1', outcome: 'accepted' });
    expect(h.tries).toHaveLength(2);
    expect((h.tries[1]?.startedAt ?? 0) - (h.tries[0]?.startedAt ?? 0)).toBeGreaterThanOrEqual(950);

    await h.send(command('r-ra2', { deadline: inMs(600) }));
    await waitFor('the second event', () => h.events.length === 2);
    expect(h.events[1]).toMatchObject({ requestId: 'r-ra2', outcome: 'rejected', detail: 'HTTP 503' });
    expect(h.tries).toHaveLength(3);
  });

  it('per-device minimum interval: a second command for the same device starts no earlier than the interval', async () => {
    const h = await harness();
    await h.startWorker({ minIntervalPerDeviceMs: 700 });
    await h.send(command('r-i1', { deviceId: 'dev-same' }));
    await h.send(command('r-i2', { deviceId: 'dev-same' }));
    await h.send(command('r-i3', { deviceId: 'dev-other' }));
    await waitFor('three events', () => h.events.length === 3, 5_000);
    expect(h.events.every((e) => e.outcome === 'accepted')).toBe(true);
    const starts = h.tries.map((t) => t.startedAt);
    expect(starts).toHaveLength(3);
    const [a = 0, b = 0, c = 0] = starts.sort((x, y) => x - y);
    // Another device is not held back; the same device waits the interval.
    expect(b - a).toBeLessThan(500);
    expect(c - a).toBeGreaterThanOrEqual(700);
  });

  it('a second command that cannot fit the interval before its deadline ends in timeout without a try', async () => {
    const h = await harness();
    await h.startWorker({ minIntervalPerDeviceMs: 5_000 });
    await h.send(command('r-j1', { deviceId: 'dev-j' }));
    await h.send(command('r-j2', { deviceId: 'dev-j', deadline: inMs(1_000) }));
    await waitFor('two events', () => h.events.length === 2);
    const second = h.events.find((e) => e.requestId === 'r-j2');
    expect(second?.outcome).toBe('timeout');
    expect(second?.detail).toContain('minimum interval');
    expect(h.tries).toHaveLength(1);
  });

  it('the ack window: a try ends by ackWait minus 2 s from the delivery, but a command that waited for a slot still gets a full try', async () => {
    const h = await harness();
    // Wall clock plus a skip the test controls: a command can be made to have waited long without the test waiting.
    let skipMs = 0;
    const clock: Clock = { now: () => Date.now() + skipMs, sleep: systemClock.sleep };
    const first = gate();
    const seen: { requestId: string; budget: number }[] = [];
    await h.startWorker({
      clock,
      concurrency: 1,
      ackWaitMs: 10_000,
      tryTimeoutMs: 1_000,
      perform: async (cmd, ctx) => {
        seen.push({ requestId: cmd.requestId, budget: ctx.deadline - clock.now() });
        if (cmd.requestId === 'r-w1') await first.wait;
        return { outcome: 'accepted' };
      },
    });
    await h.send(command('r-w1', { deadline: inMs(120_000) }));
    await h.send(command('r-w2', { deadline: inMs(120_000) }));
    await waitFor('the first try', () => seen.length === 1);
    // r-w2 was delivered meanwhile and waits for the only slot; now 9.5 s of its 10 s ackWait pass.
    await waitFor('the second delivery', () => h.broker.streams.get('ACS_COMMANDS')?.consumers.get('connreq-http')?.pending.size === 2);
    skipMs = 9_500;
    first.open();
    await waitFor('both events', () => h.events.length === 2);
    expect(seen.map((s) => s.requestId)).toEqual(['r-w1', 'r-w2']);
    // The deadline is 2 minutes out: the first is cut to the ackWait minus the margin, the second gets its full try.
    expect(seen[0]?.budget).toBeGreaterThan(8_000 - 100);
    expect(seen[0]?.budget).toBeLessThanOrEqual(8_000);
    expect(seen[1]?.budget).toBeGreaterThan(1_000 - 100);
    expect(seen[1]?.budget).toBeLessThanOrEqual(1_000);
  });

  it('bounded concurrency: never more tries in flight than the bound', async () => {
    const h = await harness();
    let inFlight = 0;
    let peak = 0;
    const worker = await h.startWorker({
      concurrency: 3,
      perform: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 50));
        inFlight -= 1;
        return { outcome: 'accepted' };
      },
    });
    let maxInFlight = 0;
    const timer = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, worker.inFlight);
    }, 2);
    onCleanup(async () => clearInterval(timer));
    for (let i = 0; i < 10; i++) await h.send(command(`r-c${i}`));
    await waitFor('ten events', () => h.events.length === 10, 10_000);
    expect(h.events.every((e) => e.outcome === 'accepted')).toBe(true);
    expect(peak).toBe(3);
    expect(maxInFlight).toBeLessThanOrEqual(3);
  });

  it('stop(): the try in flight publishes its outcome; a command waiting for its interval goes back to the stream', async () => {
    const h = await harness();
    const first = await h.startWorker({
      minIntervalPerDeviceMs: 10_000,
      perform: async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { outcome: 'accepted' };
      },
    });
    await h.send(command('r-s1', { deviceId: 'dev-s' }));
    await h.send(command('r-s2', { deviceId: 'dev-s', deadline: inMs(20_000) }));
    await waitFor('both taken', () => first.inFlight === 2);
    await first.stop();
    expect(h.events.map((e) => e.requestId)).toEqual(['r-s1']);
    await h.startWorker();
    await waitFor('the handed-back command done elsewhere', () => h.events.length === 2);
    expect(h.events[1]).toMatchObject({ requestId: 'r-s2', outcome: 'accepted' });
  });

  it('stop(): a command waiting to retry goes back to the stream at once, without its event', async () => {
    const h = await harness();
    const first = await h.startWorker({ retry: { baseMs: 10_000, maxMs: 10_000 }, perform: () => ({ outcome: 'unreachable', retryable: true }) });
    await h.send(command('r-b1', { deadline: inMs(60_000) }));
    await waitFor('the first try', () => h.tries.length === 1);
    const stopping = Date.now();
    await first.stop();
    // Far sooner than the back-off (at least 5 s).
    expect(Date.now() - stopping).toBeLessThan(2_000);
    expect(h.events).toHaveLength(0);
    expect(h.pendingCommands()).toBe(1);
    await h.startWorker();
    await waitFor('the handed-back command done elsewhere', () => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ requestId: 'r-b1', outcome: 'accepted' });
  });
});
