import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

type SdkConfig = NonNullable<ConstructorParameters<typeof NodeSDK>[0]>;
type SpanProcessor = NonNullable<SdkConfig['spanProcessors']>[number];

export interface TelemetryOptions {
  /** `service.name` of every span and metric. */
  serviceName: string;
  /** OTLP/HTTP base URL (`http://collector:4318`); traces go to `<url>/v1/traces`. None: no trace is exported. */
  otlpEndpoint?: string;
  /** Serve Prometheus metrics on this port (path `/metrics`). */
  prometheusPort?: number;
  /** Interface of that server. Default `127.0.0.1`; set `0.0.0.0` in a pod that is scraped from outside. */
  prometheusHost?: string;
  /** Expose metrics through `metricsHandler` for the service's own HTTP server, without a separate port. */
  metricsHandler?: boolean;
}

export interface Telemetry {
  /** Flushes pending spans and stops exporters; safe to call more than once. */
  shutdown(): Promise<void>;
  /** Answers a Prometheus scrape (present when `metricsHandler` or `prometheusPort` was asked for). */
  readonly metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
}

// Keeps spans recording (real trace ids for logs and `traceparent`) when nothing exports them.
class DiscardingSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

let active: Telemetry | undefined;

function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

/**
 * Starts the OpenTelemetry NodeSDK for this process (call once, from `main.ts`). A second call
 * while it runs returns the running instance unchanged. Nothing is read from `OTEL_*` env
 * variables for exporters: what is exported is what the options say, so a process without an
 * endpoint never sends anything.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (active !== undefined) {
    diag.warn(`startTelemetry: already started; ignoring the second call for ${options.serviceName}`);
    return active;
  }
  let prometheus: PrometheusExporter | undefined;
  if (options.prometheusPort !== undefined || options.metricsHandler) {
    prometheus = new PrometheusExporter({
      port: options.prometheusPort,
      host: options.prometheusHost ?? '127.0.0.1',
      preventServerStart: options.prometheusPort === undefined,
    });
  }
  const spanProcessors: SpanProcessor[] | undefined = options.otlpEndpoint ? undefined : [new DiscardingSpanProcessor()];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    traceExporter: options.otlpEndpoint ? new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) }) : undefined,
    spanProcessors,
    metricReaders: prometheus ? [prometheus] : [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();

  let stopped: Promise<void> | undefined;
  const handle: Telemetry = {
    metricsHandler: prometheus ? (req, res) => prometheus.getMetricsRequestHandler(req, res) : undefined,
    shutdown() {
      stopped ??= sdk.shutdown().finally(() => {
        // Unregister the globals so that a later start (tests, a restarted embedded app) can register again.
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
        active = undefined;
      });
      return stopped;
    },
  };
  active = handle;
  return handle;
}
