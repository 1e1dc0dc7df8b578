#!/usr/bin/env node
// acs-sim: run a fleet of simulated CPEs against an ACS and print what it amounted to.
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { SessionResult } from './cpe.js';
import { createFleet, type FleetModel, type FleetStunStatus } from './fleet.js';
import { BUNDLED_MODELS, type BundledModelName } from './model/bundled.js';
import { loadCsvModel } from './model/csv-loader.js';
import { ModelError } from './model/errors.js';
import type { SessionSummary } from './stats.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 = any)');
  return n;
}

function hostPort(value: string): { address: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  const p = Number(m?.[2]);
  if (!m?.[1] || !(p >= 1 && p <= 65535)) throw new InvalidArgumentError('expected host:port');
  return { address: m[1].replace(/^\[|\]$/g, ''), port: p };
}

function keepAlive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw new InvalidArgumentError('expected seconds (0 = off, -1 = the CPE\'s choice)');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

interface CliOptions {
  acsUrl: string;
  devices: number;
  model: string;
  username?: string;
  password?: string;
  auth: 'digest' | 'basic' | 'none';
  serialPrefix: string;
  oui?: string;
  productClass?: string;
  manufacturer?: string;
  concurrency?: number;
  duration?: number;
  sessions?: number;
  informInterval?: number;
  crHost: string;
  crPortBase: number;
  crUsername?: string;
  crPassword?: string;
  cr: boolean;
  xmpp: boolean;
  xmppServer?: { address: string; port: number };
  xmppDomain?: string;
  xmppPassword: string;
  xmppAllowedJids?: string;
  xmppCa?: string;
  xmppTls: boolean;
  xmppKeepAlive?: number;
  xmppLoginConcurrency: number;
  stun: boolean;
  stunServer?: { address: string; port: number };
  stunUsername: string;
  stunPassword?: string;
  stunMaxKeepAlive?: number;
  stunMinKeepAlive?: number;
  stunKeepAliveMs?: number;
  stunRfc5389: boolean;
  stunHost?: string;
  stunPortBase: number;
  json: boolean;
}

function program(): Command {
  return new Command('acs-sim')
    .description('Run a fleet of simulated TR-069 CPEs against an ACS and report sessions/s and latencies.')
    .requiredOption('--acs-url <url>', 'ACS URL the CPEs Inform to (ManagementServer.URL)')
    .option('--devices <n>', 'number of simulated CPEs', positiveInt, 1)
    .option('--model <name|csv>', `data model: ${BUNDLED_MODELS.join(', ')} or the path of a CSV parameter dump`, 'tr181')
    .option('--username <user>', 'ACS username of every CPE (ManagementServer.Username)')
    .option('--password <pass>', 'ACS password of every CPE (ManagementServer.Password)')
    .addOption(new Option('--auth <mode>', 'how CPEs authenticate to the ACS').choices(['digest', 'basic', 'none']).default('digest'))
    .option('--serial-prefix <prefix>', 'serial numbers are <prefix><6-digit index>', 'SIM')
    .option('--oui <oui>', 'DeviceId OUI (default 02A0C5, or the CSV dump\'s)')
    .option('--product-class <class>', 'DeviceId ProductClass (default SimGW, or the CSV dump\'s)')
    .option('--manufacturer <name>', 'DeviceId Manufacturer')
    .option('--concurrency <n>', 'sessions in flight at once (default: all devices)', positiveInt)
    .addOption(new Option('--duration <s>', 'run for this many seconds').argParser(seconds).conflicts('sessions'))
    .option('--sessions <n>', 'run this many sessions in total (default: one boot session per device)', positiveInt)
    .option('--inform-interval <s>', 'PeriodicInformInterval; with --duration, CPEs then inform on their own timers', positiveInt)
    .option('--cr-host <addr>', 'bind address of the connection-request listeners', '127.0.0.1')
    .option('--cr-port-base <port>', 'CPE i listens on port base+i (0 = any free port)', port, 0)
    .option('--cr-username <user>', 'ConnectionRequestUsername (default cr-<serial>)')
    .option('--cr-password <pass>', 'ConnectionRequestPassword (default cr-secret)')
    .option('--no-cr', 'no connection-request listeners')
    .option('--xmpp-server <host:port>', 'provision every CPE for XMPP connection requests on this server (ServerTable); account = serial in lower case', hostPort)
    .option('--xmpp-domain <domain>', 'XMPP domain of the accounts (default: the --xmpp-server host)')
    .option('--xmpp-password <pass>', 'password of every CPE\'s XMPP account', 'xmpp-secret')
    .option('--xmpp-allowed-jids <list>', 'ConnReqAllowedJabberIDs, comma-separated (default: anyone)')
    .option('--xmpp-ca <file>', 'PEM CA to trust for the XMPP server\'s certificate')
    .option('--no-xmpp-tls', 'UseTLS false (STARTTLS only when the server requires it)')
    .option('--xmpp-keep-alive <s>', 'KeepAliveInterval (default -1: every 300 s)', keepAlive)
    .option('--xmpp-login-concurrency <n>', 'XMPP logins in flight at once', positiveInt, 32)
    .option('--no-xmpp', 'ignore XMPP provisioning (no XMPP endpoint)')
    .option('--stun-server <host:port>', 'enable STUN on every CPE with this server (STUNEnable, STUNServerAddress/Port): UDP connection requests', hostPort)
    .option('--stun-username <user>', 'STUNUsername; {serial} = the CPE\'s serial number, \'\' = none', '{serial}')
    .option('--stun-password <pass>', 'STUNPassword (MESSAGE-INTEGRITY key once the server answers 401)')
    .option('--stun-max-keep-alive <s>', 'STUNMaximumKeepAlivePeriod (-1 = none: every 30 s)', keepAlive)
    .option('--stun-min-keep-alive <s>', 'STUNMinimumKeepAlivePeriod', nonNegativeInt)
    .option('--stun-keep-alive-ms <ms>', 'Binding Request period in ms, overriding the two above', positiveInt)
    .option('--stun-rfc5389', 'send RFC 5389 Binding Requests (magic cookie) instead of RFC 3489 ones', false)
    .option('--stun-host <addr>', 'bind address of the UDP connection-request sockets (default: --cr-host)')
    .option('--stun-port-base <port>', 'CPE i binds its UDP socket to port base+i (0 = any free port)', port, 0)
    .option('--no-stun', 'ignore STUNEnable (no STUN client, no UDP listener)')
    .option('--json', 'print the summary as JSON', false);
}

function resolveModel(model: string): FleetModel {
  if ((BUNDLED_MODELS as readonly string[]).includes(model)) return model as BundledModelName;
  return loadCsvModel(model);
}

function formatStun(s: FleetStunStatus): string {
  const cr = Object.entries(s.udpConnectionRequests).map(([k, v]) => `${k} ${v}`).join(', ');
  return `stun: ${s.bound} bound, ${s.bindingRequests} binding requests (${s.retransmissions} retransmitted, ${s.timeouts} timed out), ${s.bindingResponses} responses, ${s.unauthorized} x 401, ${s.bindingChanges} binding changes; udp connection requests: ${cr}`;
}

function formatText(s: SessionSummary, o: CliOptions, xmpp: Partial<Record<string, number>> | undefined, stun: FleetStunStatus | undefined): string {
  const list = (r: Partial<Record<string, number>>) =>
    Object.keys(r).length === 0 ? 'none' : Object.entries(r).map(([k, v]) => `${k} x${v}`).join(', ');
  return [
    ...(xmpp ? [`xmpp status at the end: ${list(xmpp)}`] : []),
    ...(stun ? [formatStun(stun)] : []),
    `acs-sim: ${o.devices} device(s), model ${o.model}, ACS ${o.acsUrl}`,
    `sessions: ${s.ok} ok, ${s.failed} failed, ${s.sessions} total in ${(s.wallMs / 1000).toFixed(2)} s (${s.sessionsPerSecond} sessions/s)`,
    `latency ms: p50 ${s.latencyMs.p50}, p95 ${s.latencyMs.p95}, p99 ${s.latencyMs.p99}, max ${s.latencyMs.max}`,
    `faults: ${list(s.faults)}`,
    `errors: ${list(s.errors)}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const cmd = program();
  cmd.parse(argv);
  const o = cmd.opts<CliOptions>();
  let model: FleetModel;
  try {
    model = resolveModel(o.model);
  } catch (e) {
    if (e instanceof ModelError) {
      process.stderr.write(`acs-sim: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const timers = o.duration !== undefined && o.informInterval !== undefined;
  const fleet = createFleet({
    acsUrl: o.acsUrl,
    count: o.devices,
    model,
    serialPrefix: o.serialPrefix,
    oui: o.oui,
    productClass: o.productClass,
    manufacturer: o.manufacturer,
    username: o.username,
    password: o.password,
    auth: o.auth,
    connectionRequest: o.cr ? { host: o.crHost, portBase: o.crPortBase, username: o.crUsername, password: o.crPassword } : false,
    xmpp: o.xmpp && {
      caFile: o.xmppCa,
      loginConcurrency: o.xmppLoginConcurrency,
      provision: o.xmppServer && {
        server: o.xmppServer,
        domain: o.xmppDomain ?? o.xmppServer.address,
        password: o.xmppPassword,
        useTls: o.xmppTls,
        keepAliveS: o.xmppKeepAlive,
        allowedJabberIds: o.xmppAllowedJids?.split(','),
      },
    },
    stun: o.stun && {
      host: o.stunHost,
      portBase: o.stunPortBase,
      legacy: !o.stunRfc5389,
      keepAliveMs: o.stunKeepAliveMs,
      provision: o.stunServer && {
        server: o.stunServer,
        username: o.stunUsername,
        password: o.stunPassword,
        maxKeepAliveS: o.stunMaxKeepAlive,
        minKeepAliveS: o.stunMinKeepAlive,
      },
    },
    informIntervalS: o.informInterval,
    periodicInform: timers,
    retry: false,
  });

  const useBar = process.stderr.isTTY && !o.json;
  const total = o.duration ?? o.sessions ?? o.devices;
  const bar = useBar ? new cliProgress.SingleBar({ stream: process.stderr, format: 'acs-sim [{bar}] {value}/{total} {unit} | ok {ok} failed {failed}' }, cliProgress.Presets.shades_classic) : undefined;
  let ok = 0;
  let failed = 0;
  const tick = (r: SessionResult) => {
    if (r.ok) ok++;
    else failed++;
    if (bar && o.duration === undefined) bar.increment(1, { ok, failed });
  };
  bar?.start(total, 0, { ok, failed, unit: o.duration === undefined ? 'sessions' : 's' });
  const started = Date.now();
  const barTimer = bar && o.duration !== undefined ? setInterval(() => bar.update(Math.min(total, Math.round((Date.now() - started) / 1000)), { ok, failed }), 250) : undefined;

  let results: SessionResult[];
  // Taken before stop(), which logs every CPE out.
  let xmpp: Partial<Record<string, number>> | undefined;
  let stun: FleetStunStatus | undefined;
  try {
    await fleet.start();
    if (timers) {
      results = [];
      const collected = results;
      for (const c of fleet.cpes) c.onSession((r) => {
        collected.push(r);
        tick(r);
      });
      // Boot sessions first (bounded by --concurrency), then the CPEs' own periodic timers.
      await fleet.run({ sessions: fleet.cpes.length, concurrency: o.concurrency });
      const remaining = started + (o.duration ?? 0) * 1000 - Date.now();
      if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
    } else {
      results = await fleet.run({
        sessions: o.duration === undefined ? (o.sessions ?? o.devices) : undefined,
        durationMs: o.duration === undefined ? undefined : o.duration * 1000,
        concurrency: o.concurrency,
        onResult: tick,
      });
    }
  } finally {
    if (barTimer) clearInterval(barTimer);
    bar?.stop();
    if (o.xmppServer) xmpp = fleet.xmppStatus();
    if (o.stunServer) stun = fleet.stunStatus();
    await fleet.stop();
  }
  const summary = fleet.summary(results, Date.now() - started);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ devices: o.devices, model: o.model, acsUrl: o.acsUrl, ...summary, ...(xmpp ? { xmpp } : {}), ...(stun ? { stun } : {}) })}\n`);
  } else {
    process.stdout.write(`${formatText(summary, o, xmpp, stun)}\n`);
  }
  return summary.failed === 0 ? 0 : 2;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`acs-sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
