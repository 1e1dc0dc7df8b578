// Composition root of `npm start`: configuration, the all-in-one ACS, endpoints printed, SIGINT/SIGTERM drain.
import { runMain } from '@acs/service';
import { createAllInOne } from './all-in-one.js';
import { allInOneOptions, appConfig } from './config.js';

await runMain({
  name: 'acs',
  config: appConfig,
  logger: (config) => ({ level: config.LOG_LEVEL, pretty: process.stdout.isTTY }),
  // Only when asked for: `npm start` opens no port beyond CWMP and the NBI, and sends nothing anywhere.
  telemetry: (config) =>
    config.ACS_METRICS_PORT === undefined && config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
      ? undefined
      : { prometheusPort: config.ACS_METRICS_PORT, prometheusHost: config.NBI_HOST, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
  async start(config, { logger }) {
    const acs = await createAllInOne({ ...allInOneOptions(config), logger });
    // Plain lines on stdout (not log records): they are what a person starting the ACS looks for.
    const lines = [`ACS data dir: ${acs.dataDir}`, `CWMP endpoint: ${acs.cwmpUrl}`, `NBI endpoint:  ${acs.nbiUrl}`];
    if (acs.adminToken !== undefined) lines.push(`NBI admin token (shown once, store it now): ${acs.adminToken}`);
    lines.push(acs.xmpp ? `XMPP connection requests: on, through ${acs.xmpp.server} as ${acs.xmpp.jid}` : 'XMPP connection requests: off (set CONNREQ_XMPP_SERVICE and CONNREQ_XMPP_PASSWORD to turn them on)');
    // The TR-111 STUN server; UDP connection requests leave from the same socket.
    lines.push(acs.stun ? `STUN endpoint: udp://${acs.stun.host}:${acs.stun.port}` : 'STUN endpoint: off (STUN_ENABLED=false: no UDP connection requests)');
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
