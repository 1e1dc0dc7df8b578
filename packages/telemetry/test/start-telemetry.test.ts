import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort } from '@acs/testkit';
import { trace } from '@opentelemetry/api';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { startTelemetry, type Telemetry } from '../src/start-telemetry.js';
import { extractTraceContext, injectTraceContext } from '../src/trace-context.js';

let running: Telemetry | undefined;
afterEach(async () => {
  await running?.shutdown();
  running = undefined;
});

/** A loopback HTTP server that records every request it gets (a stand-in OTLP collector). */
async function recorder(): Promise<{ url: string; requests: Array<{ path: string; body: string }>; close(): Promise<void> }> {
  const requests: Array<{ path: string; body: string }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('startTelemetry', () => {
  it('is idempotent: a second start returns the running instance; shutdown twice is fine; then it can start again', async () => {
    const first = startTelemetry({ serviceName: 'test-a' });
    running = first;
    expect(startTelemetry({ serviceName: 'test-b' })).toBe(first);
    await first.shutdown();
    await first.shutdown();
    const second = startTelemetry({ serviceName: 'test-c' });
    running = second;
    expect(second).not.toBe(first);
    expect(trace.getTracer('t').startSpan('after-restart').isRecording()).toBe(true);
  });

  it('records spans without an endpoint, and traceparent carries them across a header map', async () => {
    running = startTelemetry({ serviceName: 'test-trace' });
    const tracer = trace.getTracer('test');
    const headers = tracer.startActiveSpan('publish poke', (span) => {
      expect(span.isRecording()).toBe(true);
      const h = injectTraceContext({});
      span.end();
      return { h, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
    });
    expect(headers.h.traceparent).toBe(`00-${headers.traceId}-${headers.spanId}-01`);

    // The receiving side: a child span in the extracted context joins the same trace.
    const child = tracer.startSpan('handle poke', {}, extractTraceContext(headers.h));
    expect(child.spanContext().traceId).toBe(headers.traceId);
    expect((child as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId).toBe(headers.spanId);
    child.end();
  });

  it('puts the active trace and span ids on log lines', async () => {
    running = startTelemetry({ serviceName: 'test-logs' });
    const lines: string[] = [];
    const log = createLogger({ service: 's', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }) });
    const ids = trace.getTracer('t').startActiveSpan('session', (span) => {
      log.info('inside');
      span.end();
      return span.spanContext();
    });
    log.info('outside');
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });
    expect(outside).not.toHaveProperty('traceId');
  });

  it('sends nothing without an endpoint, even when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const collector = await recorder();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    try {
      running = startTelemetry({ serviceName: 'test-quiet' });
      trace.getTracer('t').startSpan('not exported').end();
      await running.shutdown();
      expect(collector.requests).toEqual([]);
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      await collector.close();
    }
  });

  it('exports spans to the OTLP endpoint it is given (flushed on shutdown)', async () => {
    const collector = await recorder();
    try {
      running = startTelemetry({ serviceName: 'test-otlp', otlpEndpoint: `${collector.url}/` });
      trace.getTracer('t').startSpan('exported-span-name').end();
      await running.shutdown();
      expect(collector.requests.map((r) => r.path)).toContain('/v1/traces');
      expect(collector.requests.map((r) => r.body).join('')).toContain('exported-span-name');
    } finally {
      await collector.close();
    }
  });

  it('serves metrics from instruments declared before the start on a Prometheus port', async () => {
    const metrics = createMetrics('acs-test');
    const pokes = metrics.counter('acs_test_pokes', { description: 'pokes by transport' });
    const latency = metrics.histogram('acs_test_latency', { unit: 'ms' });
    const port = await freePort();
    running = startTelemetry({ serviceName: 'test-prom', prometheusPort: port });
    pokes.add(1, { transport: 'http' });
    pokes.add(2, { transport: 'http' });
    latency.record(42);
    const body = await eventually('the /metrics page', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      return res.ok ? res.text() : undefined;
    });
    expect(body).toMatch(/acs_test_pokes(_total)?\{[^}]*transport="http"[^}]*\} 3/);
    expect(body).toMatch(/acs_test_latency(_milliseconds)?_count\{[^}]*\} 1/);
  });

  it('offers a metrics handler for the service’s own HTTP server', async () => {
    running = startTelemetry({ serviceName: 'test-handler', metricsHandler: true });
    const handler = running.metricsHandler;
    expect(handler).toBeDefined();
    createMetrics().upDownCounter('acs_test_open_sessions').add(5);
    const port = await freePort();
    const server = createServer((req, res) => handler!(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(body).toMatch(/acs_test_open_sessions\{[^}]*\} 5/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('without any metrics option, offers no handler', () => {
    running = startTelemetry({ serviceName: 'test-nometrics' });
    expect(running.metricsHandler).toBeUndefined();
  });
});
