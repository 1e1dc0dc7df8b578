// Composition root of `npm start`: configuration, the all-in-one ACS, endpoints printed, SIGINT/SIGTERM drain.
import { ConfigError } from '@acs/config';
import { connreqHttpConfig, workerSettings } from '@acs/connreq-http';
import { createLogger, startTelemetry } from '@acs/telemetry';
import { createAllInOne } from './all-in-one.js';
import { allInOneOptions, appConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  let connreqHttp;
  try {
    config = appConfig.load();
    // CONNREQ_HTTP_* tune the in-process connection-request worker exactly as they tune the connreq-http service.
    connreqHttp = workerSettings(connreqHttpConfig.load());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'acs', level: config.LOG_LEVEL, pretty: process.stdout.isTTY });
  // Metrics only when asked for: `npm start` opens no port beyond CWMP and the NBI.
  const telemetry = config.ACS_METRICS_PORT === undefined ? undefined : startTelemetry({ serviceName: 'acs', prometheusPort: config.ACS_METRICS_PORT, prometheusHost: config.NBI_HOST });
  const acs = await createAllInOne({ ...allInOneOptions(config), connreqHttp, logger });

  // Plain lines on stdout (not log records): they are what a person starting the ACS looks for.
  const lines = [`ACS data dir: ${acs.dataDir}`, `CWMP endpoint: ${acs.cwmpUrl}`, `NBI endpoint:  ${acs.nbiUrl}`];
  if (acs.adminToken !== undefined) lines.push(`NBI admin token (shown once, store it now): ${acs.adminToken}`);
  if (config.ACS_ONBOARDING_USERNAME !== undefined) lines.push(`Onboarding: any CPE with username "${config.ACS_ONBOARDING_USERNAME}" and ACS_ONBOARDING_PASSWORD is admitted`);
  process.stdout.write(`${lines.join('\n')}\nReady. Ctrl-C to stop.\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    acs.stop().then(
      async () => {
        await telemetry?.shutdown();
        process.stdout.write('Stopped.\n');
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`acs failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
