// Composition root: configuration, real adapters, the gateway, an HTTP(S) listener, SIGTERM drain.
import { randomBytes } from 'node:crypto';
import { createNatsBus } from '@acs/bus';
import { ConfigError } from '@acs/config';
import { createSubjects } from '@acs/contracts';
import { createRedisKv } from '@acs/kv';
import { createLogger, startTelemetry } from '@acs/telemetry';
import { BusRegistryClient } from './bus-registry-client.js';
import { gatewayConfig, gatewaySettings } from './config.js';
import { createGateway } from './gateway.js';
import { createCwmpServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = gatewayConfig.load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'cwmp-gateway', level: config.LOG_LEVEL, pretty: config.NODE_ENV === 'development' });
  const telemetry = startTelemetry({
    serviceName: 'cwmp-gateway',
    metricsHandler: true,
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? {} : { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }),
  });
  const nonceSecret = config.CWMP_NONCE_SECRET ?? randomBytes(32).toString('base64url');
  if (config.CWMP_NONCE_SECRET === undefined) logger.warn('CWMP_NONCE_SECRET not set: nonces are valid on this replica only');

  const kv = createRedisKv(config.REDIS_URL, { onError: (err) => logger.warn({ err }, 'redis connection error') });
  const bus = await createNatsBus({
    servers: config.NATS_URL,
    name: 'cwmp-gateway',
    onError: (err, context) => logger.warn({ err, ...context }, 'bus error'),
  });
  const subjects = createSubjects(config.ACS_SUBJECT_PREFIX);
  const settings = gatewaySettings(config, nonceSecret);
  const gateway = createGateway({
    registry: new BusRegistryClient({ bus, subjects, timeoutMs: config.CWMP_REGISTRY_TIMEOUT_MS }),
    sessions: kv.sessions,
    locks: kv.locks,
    rateLimiter: kv.rateLimiter,
    bus,
    subjects,
    logger,
    settings,
    ...(telemetry.metricsHandler ? { metricsHandler: telemetry.metricsHandler } : {}),
  });

  const tls = config.CWMP_TLS_CERT_FILE !== undefined && config.CWMP_TLS_KEY_FILE !== undefined;
  const server = createCwmpServer(gateway.app, {
    ...(config.CWMP_TLS_CERT_FILE === undefined ? {} : { tlsCertFile: config.CWMP_TLS_CERT_FILE }),
    ...(config.CWMP_TLS_KEY_FILE === undefined ? {} : { tlsKeyFile: config.CWMP_TLS_KEY_FILE }),
    keepAliveTimeoutMs: config.CWMP_SESSION_TIMEOUT_MS,
  });
  server.listen(config.CWMP_PORT, config.CWMP_HOST, () => {
    logger.info({ host: config.CWMP_HOST, port: config.CWMP_PORT, path: settings.path, tls }, 'cwmp-gateway listening');
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    await gateway.close();
    // Sessions live in Redis: an unfinished one continues on another replica, so stop taking requests and go.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await bus.drain().catch(async (err: unknown) => {
      logger.warn({ err }, 'bus drain failed; closing');
      await bus.close().catch(() => undefined);
    });
    await kv.close();
    await telemetry.shutdown();
    logger.info('stopped');
    // Reconnect timers of a client whose server is gone must not keep a stopped process alive.
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`cwmp-gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
