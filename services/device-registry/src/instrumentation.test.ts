import { describe, expect, it } from '@jest/globals';
import type { Metrics } from '@acs/telemetry';
import { countedStore } from './instrumentation.js';

function recordingMetrics() {
  const adds: { name: string; attrs: Record<string, unknown> | undefined }[] = [];
  const instrument = (name: string) => ({ add: (_n: number, attrs?: Record<string, unknown>) => adds.push({ name, attrs }), record: () => undefined });
  const metrics = { counter: instrument, histogram: instrument, upDownCounter: instrument } as unknown as Metrics;
  return { metrics, adds };
}

class Store {
  #rows = new Map<string, number>();
  readonly label = 'store';
  async put(id: string, v: number): Promise<void> {
    this.#rows.set(id, v);
  }
  async get(id: string): Promise<number | undefined> {
    return this.#rows.get(id);
  }
}

describe('countedStore', () => {
  it('counts each call by method and behaves like the store, private fields included', async () => {
    const { metrics, adds } = recordingMetrics();
    const store = countedStore(new Store(), metrics);
    await store.put('a', 1);
    expect(await store.get('a')).toBe(1);
    expect(await store.get('b')).toBeUndefined();
    expect(store.label).toBe('store');
    expect(adds).toEqual([
      { name: 'acs.registry.store.operations', attrs: { op: 'put' } },
      { name: 'acs.registry.store.operations', attrs: { op: 'get' } },
      { name: 'acs.registry.store.operations', attrs: { op: 'get' } },
    ]);
  });
});
