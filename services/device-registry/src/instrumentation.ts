import { createMetrics, type Metrics } from '@acs/telemetry';

/**
 * The store as the registry's handlers see it, every call counted in `acs.registry.store.operations` by
 * method: the figure the session benchmark divides by sessions (store operations per session are a goal
 * of the hot path, counted rather than estimated) and an operator's view of what each session costs.
 */
export function countedStore<S extends object>(store: S, metrics: Metrics = createMetrics('@acs/device-registry')): S {
  const operations = metrics.counter('acs.registry.store.operations', { description: 'device store calls made by registry requests, by method' });
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (fn === undefined) {
        const op = String(prop);
        fn = (...args: unknown[]) => {
          operations.add(1, { op });
          // `target`, not the proxy: adapters keep private fields that a proxy receiver cannot reach.
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
