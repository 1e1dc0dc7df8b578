import { metrics as otelMetrics, type Attributes, type MeterProvider, type MetricOptions } from '@opentelemetry/api';

export interface CounterFacade {
  add(value?: number, attributes?: Attributes): void;
}
export interface HistogramFacade {
  record(value: number, attributes?: Attributes): void;
}
export interface UpDownCounterFacade {
  add(value: number, attributes?: Attributes): void;
}

/** Instrument factories over the global OpenTelemetry meter provider. */
export interface Metrics {
  /** A monotonic counter (`acs.informs`, `acs.pokes` by transport and outcome...). */
  counter(name: string, options?: MetricOptions): CounterFacade;
  /** A distribution, e.g. latencies in ms (`unit: 'ms'`). */
  histogram(name: string, options?: MetricOptions): HistogramFacade;
  /** A value that goes up and down (open sessions). */
  upDownCounter(name: string, options?: MetricOptions): UpDownCounterFacade;
}

/**
 * Metrics for one instrumentation scope. Instruments may be declared at any time, even before
 * `startTelemetry`: each one binds to the meter provider registered when it is used, so modules
 * can create them in their factories without caring about start order.
 */
export function createMetrics(scope = 'acs'): Metrics {
  function lazy<I>(create: (provider: MeterProvider) => I): () => I {
    let provider: MeterProvider | undefined;
    let instrument: I | undefined;
    return () => {
      const current = otelMetrics.getMeterProvider();
      if (instrument === undefined || current !== provider) {
        provider = current;
        instrument = create(current);
      }
      return instrument;
    };
  }
  return {
    counter(name, options) {
      const get = lazy((p) => p.getMeter(scope).createCounter(name, options));
      return { add: (value = 1, attributes) => get().add(value, attributes) };
    },
    histogram(name, options) {
      const get = lazy((p) => p.getMeter(scope).createHistogram(name, options));
      return { record: (value, attributes) => get().record(value, attributes) };
    },
    upDownCounter(name, options) {
      const get = lazy((p) => p.getMeter(scope).createUpDownCounter(name, options));
      return { add: (value, attributes) => get().add(value, attributes) };
    },
  };
}
