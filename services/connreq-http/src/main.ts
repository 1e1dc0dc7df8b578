// Composition root: the NATS bus around the HTTP connection-request worker's unit.
import { createNatsBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { runMain, startHealthServer } from '@acs/service';
import { connreqHttpConfig, workerSettings } from './config.js';
import { createConnreqHttpService } from './service.js';

await runMain({
  name: 'connreq-http',
  config: connreqHttpConfig,
  logger: (config) => ({ level: config.LOG_LEVEL, pretty: config.NODE_ENV === 'development' }),
  telemetry: (config) => ({ prometheusPort: config.CONNREQ_HTTP_METRICS_PORT, prometheusHost: config.CONNREQ_HTTP_METRICS_HOST, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }),
  async start(config, { logger }) {
    const bus = await createNatsBus({ servers: config.NATS_URL, name: 'connreq-http', onError: (err, context) => logger.warn({ err, ...context }, 'bus error') });
    const settings = workerSettings(config);
    const service = createConnreqHttpService({ bus, subjects: createSubjects(config.ACS_SUBJECT_PREFIX), logger }, settings);
    await service.start();
    // Ready while the consumer runs: the worker holds no other connection a probe could check.
    let consuming = true;
    const health =
      config.CONNREQ_HTTP_HEALTH_PORT === undefined
        ? undefined
        : await startHealthServer({ host: config.CONNREQ_HTTP_HEALTH_HOST, port: config.CONNREQ_HTTP_HEALTH_PORT, readiness: () => ({ ready: consuming }) });
    return {
      details: { concurrency: settings.concurrency, minIntervalMs: settings.minIntervalPerDeviceMs, healthPort: health?.port },
      async stop() {
        // Stop taking commands, let requests on the wire end and publish their outcome, then drain the connection.
        consuming = false;
        await service.stop();
        await health?.close();
        await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
      },
    };
  },
});
