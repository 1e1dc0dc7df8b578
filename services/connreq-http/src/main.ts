// Composition root: configuration, the NATS bus, the worker, SIGTERM drain.
import { createNatsBus } from '@acs/bus';
import { ConfigError } from '@acs/config';
import { createSubjects } from '@acs/contracts';
import { createLogger, startTelemetry } from '@acs/telemetry';
import { connreqHttpConfig, workerSettings } from './config.js';
import { createConnreqHttpWorker } from './worker.js';

async function main(): Promise<void> {
  let config;
  try {
    config = connreqHttpConfig.load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'connreq-http', level: config.LOG_LEVEL, pretty: config.NODE_ENV === 'development' });
  const telemetry = startTelemetry({
    serviceName: 'connreq-http',
    ...(config.CONNREQ_HTTP_METRICS_PORT === undefined ? {} : { prometheusPort: config.CONNREQ_HTTP_METRICS_PORT, prometheusHost: config.CONNREQ_HTTP_METRICS_HOST }),
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? {} : { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }),
  });
  const bus = await createNatsBus({
    servers: config.NATS_URL,
    name: 'connreq-http',
    onError: (err, context) => logger.warn({ err, ...context }, 'bus error'),
  });
  const worker = createConnreqHttpWorker({ bus, subjects: createSubjects(config.ACS_SUBJECT_PREFIX), logger, ...workerSettings(config) });
  await worker.start();
  logger.info({ concurrency: config.CONNREQ_HTTP_CONCURRENCY, minIntervalMs: config.CONNREQ_HTTP_MIN_INTERVAL_MS }, 'connreq-http consuming');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    // Stop taking commands, let requests on the wire end and publish their outcome, then drain the connection.
    await worker.stop();
    await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
    await telemetry.shutdown();
    logger.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`connreq-http failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
