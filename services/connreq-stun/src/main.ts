// Composition root: configuration, NATS, Redis, the service unit, /healthz and /readyz, SIGTERM drain.
import { hostname } from 'node:os';
import { createNatsBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { createRedisKv, type SessionStore } from '@acs/kv';
import { runMain, startHealthServer } from '@acs/service';
import type { Binding } from './binding-store.js';
import { connreqStunConfig, serviceSettings } from './config.js';
import { createConnreqStunService } from './service.js';

await runMain({
  name: 'connreq-stun',
  config: connreqStunConfig,
  logger: (c) => ({ level: c.LOG_LEVEL, pretty: c.NODE_ENV === 'development' }),
  telemetry: (c) => ({
    ...(c.CONNREQ_STUN_METRICS_PORT === undefined ? {} : { prometheusPort: c.CONNREQ_STUN_METRICS_PORT, prometheusHost: c.CONNREQ_STUN_METRICS_HOST }),
    ...(c.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? {} : { otlpEndpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT }),
  }),
  async start(config, { logger }) {
    const settings = serviceSettings(config, { hostname: hostname() });
    const bus = await createNatsBus({ servers: config.NATS_URL, name: 'connreq-stun', onError: (err, context) => logger.warn({ err, ...context }, 'bus error') });
    // Keys `<prefix>:stun:session:<deviceId>`, each with the binding's TTL.
    const kv = createRedisKv(config.REDIS_URL, { prefix: `${config.ACS_SUBJECT_PREFIX}:stun:`, onError: (err) => logger.warn({ err }, 'redis connection error') });
    const bindings = kv.sessions as SessionStore<Binding>;
    const service = createConnreqStunService({ bus, subjects: createSubjects(config.ACS_SUBJECT_PREFIX), bindings, logger }, settings);
    await service.start();
    const health =
      config.CONNREQ_STUN_HEALTH_PORT === undefined
        ? undefined
        : await startHealthServer({ host: config.CONNREQ_STUN_HEALTH_HOST, port: config.CONNREQ_STUN_HEALTH_PORT, readiness: service.ready });
    return {
      details: { stun: `${settings.listen.host}:${service.address().port}`, replica: settings.replica, healthPort: health?.port, concurrency: settings.worker.concurrency },
      async stop() {
        await service.stop();
        await health?.close();
        await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
        await kv.close();
      },
    };
  },
});
