// Composition root: configuration, the NATS bus, the service unit, /healthz and /readyz, SIGTERM drain.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createNatsBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { runMain, startHealthServer } from '@acs/service';
import { connreqXmppConfig, serviceSettings } from './config.js';
import { createConnreqXmppService } from './service.js';

await runMain({
  name: 'connreq-xmpp',
  config: connreqXmppConfig,
  logger: (c) => ({ level: c.LOG_LEVEL, pretty: c.NODE_ENV === 'development' }),
  telemetry: (c) => ({
    ...(c.CONNREQ_XMPP_METRICS_PORT === undefined ? {} : { prometheusPort: c.CONNREQ_XMPP_METRICS_PORT, prometheusHost: c.CONNREQ_XMPP_METRICS_HOST }),
    ...(c.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? {} : { otlpEndpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT }),
  }),
  async start(config, { logger }) {
    const ca = config.CONNREQ_XMPP_CA_FILE === undefined ? undefined : readFileSync(config.CONNREQ_XMPP_CA_FILE);
    const settings = serviceSettings(config, { hostname: hostname(), ...(ca === undefined ? {} : { ca }) });
    const bus = await createNatsBus({
      servers: config.NATS_URL,
      name: 'connreq-xmpp',
      onError: (err, context) => logger.warn({ err, ...context }, 'bus error'),
    });
    const service = createConnreqXmppService({ bus, subjects: createSubjects(config.ACS_SUBJECT_PREFIX), logger }, settings);
    await service.start();
    const health =
      config.CONNREQ_XMPP_HEALTH_PORT === undefined
        ? undefined
        : await startHealthServer({ host: config.CONNREQ_XMPP_HEALTH_HOST, port: config.CONNREQ_XMPP_HEALTH_PORT, readiness: service.ready });
    return {
      details: { xmppServer: settings.xmpp.endpoint.service, resource: settings.xmpp.resource, healthPort: health?.port, concurrency: settings.worker.concurrency },
      async stop() {
        // Stop taking commands, let the IQs on the wire end and publish, close the XMPP session, then the bus.
        await service.stop();
        await health?.close();
        await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
      },
    };
  },
});
