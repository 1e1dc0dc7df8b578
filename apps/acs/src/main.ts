// Composition root of `npm start`: configuration, the all-in-one ACS, endpoints printed, SIGINT/SIGTERM drain.
import type { Env } from '@acs/config';
import { connreqHttpConfig, workerSettings } from '@acs/connreq-http';
import { runMain } from '@acs/service';
import { createAllInOne } from './all-in-one.js';
import { allInOneOptions, appConfig } from './config.js';

await runMain({
  name: 'acs',
  // CONNREQ_HTTP_* tune the in-process connection-request worker exactly as they tune the connreq-http service.
  config: { load: (env?: Env) => ({ ...appConfig.load(env), connreqHttp: workerSettings(connreqHttpConfig.load(env)) }) },
  logger: (config) => ({ level: config.LOG_LEVEL, pretty: process.stdout.isTTY }),
  // Metrics only when asked for: `npm start` opens no port beyond CWMP and the NBI.
  telemetry: (config) => (config.ACS_METRICS_PORT === undefined ? undefined : { prometheusPort: config.ACS_METRICS_PORT, prometheusHost: config.NBI_HOST }),
  async start(config, { logger }) {
    const acs = await createAllInOne({ ...allInOneOptions(config), connreqHttp: config.connreqHttp, logger });
    // Plain lines on stdout (not log records): they are what a person starting the ACS looks for.
    const lines = [`ACS data dir: ${acs.dataDir}`, `CWMP endpoint: ${acs.cwmpUrl}`, `NBI endpoint:  ${acs.nbiUrl}`];
    if (acs.adminToken !== undefined) lines.push(`NBI admin token (shown once, store it now): ${acs.adminToken}`);
    if (config.ACS_ONBOARDING_USERNAME !== undefined) lines.push(`Onboarding: any CPE with username "${config.ACS_ONBOARDING_USERNAME}" and ACS_ONBOARDING_PASSWORD is admitted`);
    process.stdout.write(`${lines.join('\n')}\nReady. Ctrl-C to stop.\n`);
    return {
      details: { cwmpUrl: acs.cwmpUrl, nbiUrl: acs.nbiUrl },
      async stop() {
        await acs.stop();
        process.stdout.write('Stopped.\n');
      },
    };
  },
});
