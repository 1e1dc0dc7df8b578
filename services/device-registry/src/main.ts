// Composition root: the real adapters (MongoDB store, NATS bus, token store) around the registry's unit.
import { createNatsBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { runMain } from '@acs/service';
import { registryConfig, registryServiceSettings } from './config.js';
import { createFileTokenStore, createMemoryTokenStore } from './nbi/index.js';
import { createSecretBox } from './secrets.js';
import { busXmppAccounts } from './xmpp/accounts.js';
import { createRegistryService } from './service.js';
import { createMongoDeviceStore } from './store/mongo/mongo-device-store.js';

await runMain({
  name: 'device-registry',
  config: registryConfig,
  logger: (config) => ({ level: config.LOG_LEVEL }),
  telemetry: (config) => ({ otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, prometheusPort: config.REGISTRY_METRICS_PORT, prometheusHost: config.NBI_HOST }),
  async start(config, { logger }) {
    const secretBox = createSecretBox(config.ACS_SECRET_KEY);
    const store = await createMongoDeviceStore({ uri: config.MONGODB_URL });
    const bus = await createNatsBus({ servers: config.NATS_URL, name: 'device-registry', onError: (err, context) => logger.warn({ err, ...context }, 'bus error') });
    const subjects = createSubjects(config.ACS_SUBJECT_PREFIX);
    // Tokens created through the NBI live in NBI_TOKEN_DIR when given (one file, one writer), else in memory.
    const tokens = config.NBI_TOKEN_DIR === undefined ? createMemoryTokenStore() : createFileTokenStore({ dir: config.NBI_TOKEN_DIR });
    // With an XMPP worker deployed, CPEs' XMPP accounts are created through it (connreq-xmpp's bus endpoints).
    const xmpp = config.REGISTRY_CONNREQ_TRANSPORTS.includes('xmpp') ? { xmppAccounts: busXmppAccounts(bus, subjects) } : {};
    const service = createRegistryService({ store, bus, subjects, secretBox, logger, tokens, ...xmpp }, registryServiceSettings(config));
    const started = await service.start();
    if (started.adminToken !== undefined) process.stderr.write(`NBI admin token (shown once, store it now): ${started.adminToken}\n`);
    return {
      details: { nbiUrl: started.nbiUrl, transports: config.REGISTRY_CONNREQ_TRANSPORTS },
      async stop() {
        // NBI requests in flight finish before the store closes; new ones go to other replicas.
        await service.stop();
        await bus.drain().catch((err: unknown) => logger.warn({ err }, 'bus drain failed'));
        await store.close();
      },
    };
  },
});
