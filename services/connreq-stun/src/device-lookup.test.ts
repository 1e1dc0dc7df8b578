import { describe, expect, it } from '@jest/globals';
import { createMemoryBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { createDeviceLookup, DeviceLookupBusyError, DeviceLookupError } from './device-lookup.js';

describe('device lookup', () => {
  const subjects = createSubjects('acs');

  it('asks the registry once per username while cached, remembers "nobody", and fails when nobody answers', async () => {
    const bus = createMemoryBus();
    let asked = 0;
    bus.serve(subjects.registry.stunDevice, (msg) => {
      asked++;
      const { username } = JSON.parse(Buffer.from(msg.data).toString()) as { username: string };
      return username === 'dev-1' ? { deviceId: 'dev-1', requireAuth: true, maximumKeepAlivePeriod: 60 } : { ok: false, error: { code: 'NOT_FOUND', message: 'no' } };
    });
    let now = 0;
    const lookup = createDeviceLookup({ bus, subjects, ttlMs: 1_000, negativeTtlMs: 100, timeoutMs: 500, maxEntries: 10, now: () => now });
    const [a, b] = await Promise.all([lookup.get('dev-1'), lookup.get('dev-1')]);
    expect(a).toEqual({ deviceId: 'dev-1', requireAuth: true, maximumKeepAlivePeriod: 60 });
    expect(b).toEqual(a);
    expect(lookup.peek('dev-1')).toEqual(a);
    expect(await lookup.get('stranger')).toBeNull();
    expect(asked).toBe(2);
    now += 200;
    expect(lookup.peek('stranger')).toBeUndefined();
    expect(lookup.peek('dev-1')).toEqual(a);
    await bus.close();

    const silent = createDeviceLookup({ bus: createMemoryBus(), subjects, ttlMs: 1_000, negativeTtlMs: 100, timeoutMs: 50, maxEntries: 10 });
    await expect(silent.get('dev-1')).rejects.toBeInstanceOf(DeviceLookupError);
  });
});

describe('device lookup under load', () => {
  const subjects = createSubjects('acs');

  it('sheds lookups beyond its bound at once, and does not ask again right after a failure', async () => {
    const bus = createMemoryBus();
    const answers: Array<() => void> = [];
    let asked = 0;
    bus.serve(subjects.registry.stunDevice, () => {
      asked++;
      return new Promise((resolve) => answers.push(() => resolve({ deviceId: 'x', requireAuth: false, maximumKeepAlivePeriod: 60 })));
    });
    const lookup = createDeviceLookup({ bus, subjects, ttlMs: 1_000, negativeTtlMs: 0, timeoutMs: 2_000, maxEntries: 10, maxInFlight: 2 });
    const a = lookup.get('a');
    const b = lookup.get('b');
    await expect(lookup.get('c')).rejects.toBeInstanceOf(DeviceLookupBusyError);
    while (answers.length < 2) await new Promise((r) => setImmediate(r));
    for (const answer of answers) answer();
    await Promise.all([a, b]);
    expect(asked).toBe(2);
    await bus.close();

    const silent = createDeviceLookup({ bus: createMemoryBus(), subjects, ttlMs: 1_000, negativeTtlMs: 0, timeoutMs: 20, maxEntries: 10 });
    const first = await silent.get('d').catch((err: unknown) => err);
    expect(first).toBeInstanceOf(DeviceLookupError);
    // Within the failure's back-off the same error comes back without a second request.
    expect(await silent.get('d').catch((err: unknown) => err)).toBe(first);
  });
});
