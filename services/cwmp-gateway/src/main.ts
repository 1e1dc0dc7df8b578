// Composition root: the real adapters (NATS bus, Redis kv, the registry over the bus) around the gateway's unit.
import { randomBytes } from 'node:crypto';
import { createNatsBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { createRedisKv } from '@acs/kv';
import { runMain } from '@acs/service';
import { BusRegistryClient } from './bus-registry-client.js';
import { gatewayConfig, gatewayServiceSettings } from './config.js';
import { createGatewayService } from './service.js';

await runMain({
  name: 'cwmp-gateway',
  config: gatewayConfig,
  logger: (config) => ({ level: config.LOG_LEVEL, pretty: config.NODE_ENV === 'development' }),
  telemetry: (config) => ({ metricsHandler: true, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }),
  async start(config, { logger, telemetry }) {
    if (config.CWMP_NONCE_SECRET === undefined) logger.warn('CWMP_NONCE_SECRET not set: nonces are valid on this replica only');
    const nonceSecret = config.CWMP_NONCE_SECRET ?? randomBytes(32).toString('base64url');
    const kv = createRedisKv(config.REDIS_URL, { onError: (err) => logger.warn({ err }, 'redis connection error') });
    const bus = await createNatsBus({ servers: config.NATS_URL, name: 'cwmp-gateway', onError: (err, context) => logger.warn({ err, ...context }, 'bus error') });
    const subjects = createSubjects(config.ACS_SUBJECT_PREFIX);
    const service = createGatewayService(
      {
        registry: new BusRegistryClient({ bus, subjects, timeoutMs: config.CWMP_REGISTRY_TIMEOUT_MS }),
        kv,
        bus,
        subjects,
        logger,
        metricsHandler: telemetry?.metricsHandler,
      },
      gatewayServiceSettings(config, nonceSecret),
    );
    const { url, tls } = await service.start();
    return {
      details: { url, tls },
      async stop() {
        await service.stop();
        await bus.drain().catch(async (err: unknown) => {
          logger.warn({ err }, 'bus drain failed; closing');
          await bus.close().catch(() => undefined);
        });
        await kv.close();
      },
    };
  },
});
