import { describe, expect, it } from '@jest/globals';
import { MemorySessionStore } from '@acs/kv';
import { bindingTtlMs, createBindingStore, type Binding } from './binding-store.js';

function counting() {
  const store = new MemorySessionStore<Binding>();
  let puts = 0;
  const put = store.put.bind(store);
  store.put = (key, value, ttl) => {
    puts++;
    return put(key, value, ttl);
  };
  return { store, puts: () => puts };
}

describe('binding store', () => {
  it('writes a steady binding once per third of its TTL and announces only new and moved addresses', async () => {
    let now = 1_000_000;
    const { store, puts } = counting();
    const bindings = createBindingStore({ store, replica: 'a', maxEntries: 10, now: () => now });
    const at = { host: '198.51.100.7', port: 40_000, bindingChange: false };
    expect(await bindings.observe('d', at, 90_000)).toMatchObject({ reason: 'new' });
    now += 10_000;
    expect(await bindings.observe('d', at, 90_000)).toBeNull();
    expect(puts()).toBe(1);
    now += 25_000;
    expect(await bindings.observe('d', at, 90_000)).toBeNull();
    expect(puts()).toBe(2);
    expect(await bindings.get('d')).toMatchObject({ firstSeenAt: 1_000_000, lastSeenAt: 1_035_000 });
    const moved = await bindings.observe('d', { ...at, port: 40_001 }, 90_000);
    expect(moved).toMatchObject({ reason: 'moved', previous: { host: '198.51.100.7', port: 40_000 }, binding: { firstSeenAt: 1_035_000 } });
    await store.close();
  });

  it('takes over what another replica (or this one before a restart) already announced, without announcing it again', async () => {
    const { store } = counting();
    const a = createBindingStore({ store, replica: 'a', maxEntries: 10 });
    const b = createBindingStore({ store, replica: 'b', maxEntries: 10 });
    const at = { host: '198.51.100.7', port: 40_000, bindingChange: true };
    expect(await a.observe('d', at, 60_000)).not.toBeNull();
    expect(await b.observe('d', at, 60_000)).toBeNull();
    expect(await b.get('d')).toMatchObject({ replica: 'b' });
    await store.close();
  });

  it('trusts a binding for two keep-alive periods and a margin', () => {
    expect(bindingTtlMs(60)).toBe(150_000);
    expect(bindingTtlMs(-1)).toBe(600_000);
  });
});
