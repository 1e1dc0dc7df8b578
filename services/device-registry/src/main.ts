// Composition root: configuration, MongoDB store, NATS bus, the registry's endpoints, the poke router, the NBI,
// SIGTERM drain.
import { createServer } from 'node:http';
import { createNatsBus } from '@acs/bus';
import { ConfigError } from '@acs/config';
import { createSubjects } from '@acs/contracts';
import { createLogger, startTelemetry } from '@acs/telemetry';
import { policyFromConfig, registryConfig } from './config.js';
import { createFileTokenStore, createMemoryTokenStore, createNbi, ensureAdminToken } from './nbi/index.js';
import { createRegistry } from './registry.js';
import { createPokeRouter } from './router/poke-router.js';
import { createSecretBox } from './secrets.js';
import { createMongoDeviceStore } from './store/mongo/mongo-device-store.js';

async function main(): Promise<void> {
  let config;
  try {
    config = registryConfig.load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'device-registry', level: config.LOG_LEVEL });
  const telemetry = startTelemetry({
    serviceName: 'device-registry',
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? {} : { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }),
    ...(config.REGISTRY_METRICS_PORT === undefined ? {} : { prometheusPort: config.REGISTRY_METRICS_PORT, prometheusHost: config.NBI_HOST }),
  });
  const secretBox = createSecretBox(config.ACS_SECRET_KEY);
  const store = await createMongoDeviceStore({ uri: config.MONGODB_URL });
  const bus = await createNatsBus({
    servers: config.NATS_URL,
    name: 'device-registry',
    onError: (err, context) => logger.warn({ err, ...context }, 'bus error'),
  });
  const subjects = createSubjects(config.ACS_SUBJECT_PREFIX);
  await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
  const registry = createRegistry({ store, bus, subjects, secretBox, realm: config.CWMP_AUTH_REALM, logger, policy: policyFromConfig(config) });
  if (config.ACS_ONBOARDING_USERNAME !== undefined && config.ACS_ONBOARDING_PASSWORD !== undefined) {
    await registry.ensureCatchAllType(config.ACS_ONBOARDING_USERNAME, config.ACS_ONBOARDING_PASSWORD);
  }
  await registry.registerEndpoints();
  // Every replica routes pokes: they share the durable `registry-poke` consumer of the command stream.
  const router = createPokeRouter({ store, bus, subjects, secretBox, logger, transports: config.REGISTRY_CONNREQ_TRANSPORTS });
  await router.start();
  await bus.flush();
  logger.info({ subjects: Object.keys(registry.endpoints()) }, 'device-registry serving');

  // Tokens created through the NBI live in NBI_TOKEN_DIR when given (one file, one writer), else in memory.
  const tokens = config.NBI_TOKEN_DIR === undefined ? createMemoryTokenStore() : createFileTokenStore({ dir: config.NBI_TOKEN_DIR });
  const bootstrap = await ensureAdminToken(tokens, config.ACS_NBI_TOKEN);
  if (bootstrap.token !== undefined) process.stderr.write(`NBI admin token (shown once, store it now): ${bootstrap.token}\n`);
  const nbi = createNbi({
    store,
    tokens,
    secretBox,
    realm: config.CWMP_AUTH_REALM,
    logger,
    bus,
    subjects,
    ...(config.ACS_NBI_TOKEN === undefined ? {} : { adminToken: config.ACS_NBI_TOKEN }),
  });
  const server = createServer(nbi);
  server.listen(config.NBI_PORT, config.NBI_HOST, () => logger.info({ host: config.NBI_HOST, port: config.NBI_PORT }, 'NBI listening'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    // In-flight requests finish before the store closes; new ones go to other replicas.
    await router.stop().catch((err: unknown) => logger.warn({ err }, 'poke router stop failed'));
    await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
    await store.close();
    await telemetry.shutdown();
    logger.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`device-registry failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
