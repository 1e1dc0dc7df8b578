import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allInOneOptions, appConfig, createAllInOne, type AllInOne } from '@acs/app';
import { createLogger } from '@acs/telemetry';
import { spawnOwned, type OwnedProcess } from '@acs/testkit';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NbiClient } from './support/nbi-client.js';
import {
  CPE_ADDRESS,
  createNatTopology,
  NAT_UDP_PORTS,
  probeUdpThroughNat,
  removeLeftoverTopologies,
  rootRouteTo,
  rootRoutesIntoPrivateSubnet,
  tcpConnectOutcome,
  type NatTopology,
} from './support/netns.js';
import { waitFor } from './support/poll.js';

// UDP connection requests (TR-069 Annex G, TR-111) through a real NAT, and HTTP ones that cannot get through it.
// The all-in-one ACS runs in this process in the root namespace, listening (CWMP, STUN) only on the address of a
// veth into the test's namespaces; a fleet of acs-sim CPEs runs in a `cpe` namespace on 192.168.213.10 behind a
// `router` namespace that masquerades them (support/netns.ts). The root namespace has no route to 192.168.213.0/24.
// The ACS itself provisions STUN on the CPEs (the catch-all type's connectionRequestPolicy.stun).

const FLEET_SIZE = 5;
const SERIAL_PREFIX = 'NAT';
/** The simulator ends by itself after this, whatever happens to this process (afterAll kills it long before). */
const FLEET_DURATION_S = 300;
const DEADLINE_MS = 15_000;
const STUN_POLICY = { requireAuth: true, minimumKeepAlivePeriod: 1, maximumKeepAlivePeriod: 5 };
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../cpe-sim/dist/cli.js');

interface DeviceView {
  id: string;
  serialNumber: string;
  sourceIp: string | null;
  connectionRequest: { connectionRequestURL: string | null; udpConnectionRequestAddress: string | null; natDetected: boolean | null };
  lastPoke: { requestId: string } | null;
}

interface PokeResult {
  requestId: string;
  deviceId: string;
  outcome: string | null;
  transport: string | null;
  latencyMs: number | null;
  detail?: string;
  session: { sessionId: string; latencyMs: number } | null;
  timedOut: boolean;
}

interface TaskView {
  id: string;
  type: string;
  status: string;
}

const report = (line: string) => process.stdout.write(`nat e2e: ${line}\n`);

describe('end to end through a real NAT: UDP connection requests (STUN) get through, HTTP ones do not', () => {
  let topology: NatTopology | undefined;
  let dataDir: string | undefined;
  let app: AllInOne | undefined;
  let nbi: NbiClient;
  let fleet: OwnedProcess | undefined;
  let fleetStartedAt = 0;
  let catchAllId: string;
  let devices: DeviceView[] = [];
  const onboarding = { username: 'nat-onboard', password: randomBytes(12).toString('base64url') };
  const t0 = Date.now();

  const setPolicy = async (transports: string[]) => {
    const res = await nbi.call<{ connectionRequestPolicy: { transports: string[]; stun: unknown } }>('PUT', `/device-types/${encodeURIComponent(catchAllId)}`, {
      connectionRequestPolicy: { transports, stun: STUN_POLICY, deadlineMs: DEADLINE_MS },
    });
    expect(res.status).toBe(200);
    expect(res.body.connectionRequestPolicy).toMatchObject({ transports, stun: STUN_POLICY });
  };

  const listDevices = async () => (await nbi.call<{ items: DeviceView[] }>('GET', '/devices?limit=100')).body.items ?? [];

  const fleetOutput = () => (fleet ? `\n--- acs-sim output ---\n${fleet.output().slice(-4_000)}` : '');

  beforeAll(async () => {
    const removed = await removeLeftoverTopologies();
    if (removed.length > 0) report(`removed leftovers of dead runs: ${removed.join(', ')}`);
    // Fails (never skips) with what the machine refused and how to fix it.
    topology = await createNatTopology();
    report(
      `topology ${topology.suffix}: ACS ${topology.acsAddress} (${topology.acsInterface}) <-> router ${topology.publicAddress} [${topology.natBackend} masquerade` +
        `${topology.natFallbackReason ? `; nftables failed: ${topology.natFallbackReason}` : ''}] <-> CPEs ${CPE_ADDRESS}`,
    );

    dataDir = mkdtempSync(join(tmpdir(), 'acs-e2e-nat-'));
    const options = allInOneOptions(
      appConfig.load({
        ACS_DATA_DIR: dataDir,
        CWMP_HOST: topology.acsAddress,
        CWMP_PORT: '0',
        // Only this test talks to the NBI.
        NBI_HOST: '127.0.0.1',
        NBI_PORT: '0',
        STUN_HOST: topology.acsAddress,
        STUN_PORT: '0',
        ACS_ONBOARDING_USERNAME: onboarding.username,
        ACS_ONBOARDING_PASSWORD: onboarding.password,
      }),
    );
    const level = process.env.E2E_SERVICE_LOGS === '1' ? (process.env.E2E_SERVICE_LOG_LEVEL ?? 'info') : 'error';
    app = await createAllInOne({ ...options, logger: createLogger({ service: 'acs-e2e-nat', level: level as 'error' }) });
    if (app.adminToken === undefined) throw new Error('a fresh data dir must yield an admin token');
    if (app.stun === undefined) throw new Error('the all-in-one runs no STUN server');
    // Nothing of the ACS faces anything but the veth into the test's namespaces (the NBI: loopback, for this test).
    expect(new URL(app.cwmpUrl).hostname).toBe(topology.acsAddress);
    expect(app.stun.host).toBe(topology.acsAddress);
    expect(new URL(app.nbiUrl).hostname).toBe('127.0.0.1');
    nbi = new NbiClient(app.nbiUrl, app.adminToken);
    report(`ACS: CWMP ${app.cwmpUrl}, STUN ${app.stun.host}:${app.stun.port}, NBI ${app.nbiUrl}`);

    const types = await nbi.call<{ items: { id: string; catchAll: boolean }[] }>('GET', '/device-types');
    const catchAll = types.body.items.find((t) => t.catchAll);
    if (!catchAll) throw new Error(`no catch-all device type: ${JSON.stringify(types.body)}`);
    catchAllId = catchAll.id;
    // Before the CPEs' first contact: their boot session then queues provisionStun.
    await setPolicy(['udp', 'http']);

    const argv = topology.execArgv(topology.cpeNs, process.execPath, [
      CLI,
      '--acs-url',
      app.cwmpUrl,
      '--devices',
      String(FLEET_SIZE),
      '--serial-prefix',
      SERIAL_PREFIX,
      '--username',
      onboarding.username,
      '--password',
      onboarding.password,
      '--cr-host',
      CPE_ADDRESS,
      '--stun-port-base',
      '40000',
      '--duration',
      String(FLEET_DURATION_S),
      '--inform-interval',
      '3600',
      '--json',
    ]);
    const { NODE_OPTIONS: _nodeOptions, ...env } = process.env;
    fleet = spawnOwned(argv.cmd, argv.args, { env });
    fleetStartedAt = Date.now();
  }, 90_000);

  afterAll(async () => {
    const failures: unknown[] = [];
    const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
      try {
        await fn();
      } catch (err) {
        failures.push(new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`));
      }
    };
    await step('stopping acs-sim', () => fleet?.stop(3_000));
    await step('stopping the ACS', () => app?.stop());
    await step('removing the data dir', async () => dataDir && rmSync(dataDir, { recursive: true, force: true }));
    await step('tearing down the namespaces', () => topology?.destroy());
    report(`whole run ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (failures.length > 0) throw new AggregateError(failures, 'NAT test cleanup failed');
  }, 60_000);

  it('the topology is a NAT: masqueraded source, mapped UDP port, no route from the ACS to the private subnet', async () => {
    const t = topology as NatTopology;
    const probe = await probeUdpThroughNat(t);
    report(`probe datagram from ${CPE_ADDRESS}:${probe.localPort} arrived from ${probe.address}:${probe.port}`);
    expect(probe.address).toBe(t.publicAddress);
    expect(probe.port).toBeGreaterThanOrEqual(NAT_UDP_PORTS.min);
    expect(probe.port).toBeLessThanOrEqual(NAT_UDP_PORTS.max);
    expect(probe.port).not.toBe(probe.localPort);

    expect(await rootRoutesIntoPrivateSubnet()).toEqual([]);
    // Whatever route the host's own table has for it (its default one), never our veth.
    expect((await rootRouteTo(CPE_ADDRESS))?.dev).not.toBe(t.acsInterface);
  });

  it(`every CPE's STUN binding is learned: the registry stores the router's public address with a NAT-mapped port`, async () => {
    const t = topology as NatTopology;
    devices = await waitFor(
      `${FLEET_SIZE} devices with a UDPConnectionRequestAddress on ${t.publicAddress}`,
      async () => {
        if (fleet?.child.exitCode !== null && fleet?.child.exitCode !== undefined) throw new Error(`acs-sim exited with ${fleet.child.exitCode}${fleetOutput()}`);
        const list = (await listDevices()).filter((d) => d.serialNumber.startsWith(SERIAL_PREFIX));
        return list.length === FLEET_SIZE && list.every((d) => d.connectionRequest.udpConnectionRequestAddress?.startsWith(`${t.publicAddress}:`)) ? list : undefined;
      },
      45_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}${fleetOutput()}`, { cause: err });
    });
    report(`all ${FLEET_SIZE} bindings stored ${Date.now() - fleetStartedAt} ms after acs-sim was started (boot session, provisionStun, STUN keep-alives, which requireAuth makes signed ones)`);

    const ports = new Set<number>();
    for (const d of devices) {
      const udp = d.connectionRequest.udpConnectionRequestAddress as string;
      const port = Number(udp.slice(t.publicAddress.length + 1));
      ports.add(port);
      report(`${d.id}: source ${d.sourceIp}, UDPConnectionRequestAddress ${udp}, ConnectionRequestURL ${d.connectionRequest.connectionRequestURL}, NATDetected ${d.connectionRequest.natDetected}`);
      expect(udp).toMatch(/^[\d.]+:\d+$/);
      expect(udp).not.toContain(CPE_ADDRESS);
      expect(port).toBeGreaterThanOrEqual(NAT_UDP_PORTS.min);
      expect(port).toBeLessThanOrEqual(NAT_UDP_PORTS.max);
      // The CPE's session came through the same NAT.
      expect(d.sourceIp).toBe(t.publicAddress);
      // What the CPE itself publishes for HTTP is its private listener, unreachable from the ACS.
      expect(new URL(d.connectionRequest.connectionRequestURL ?? 'http://missing/').hostname).toBe(CPE_ADDRESS);

      // The ACS provisioned STUN itself, and the CPE reported the mapped address it learned from the STUN server.
      const tasks = await nbi.call<{ items: TaskView[] }>('GET', `/tasks?deviceId=${encodeURIComponent(d.id)}&limit=100`);
      expect(tasks.body.items.filter((task) => task.type === 'provisionStun').map((task) => task.status)).toEqual(['done']);
      const reported = await waitFor(`${d.id}'s own UDPConnectionRequestAddress report`, async () => {
        const v = await nbi.value(d.id, 'Device.ManagementServer.UDPConnectionRequestAddress');
        return v ? v : undefined;
      });
      expect(reported).toBe(udp);
    }
    // One mapping per CPE.
    expect(ports.size).toBe(FLEET_SIZE);
  }, 90_000);

  it('HTTP only: a poke cannot reach a CPE behind the NAT and ends no_route (the router finds no way), at once', async () => {
    const t = topology as NatTopology;
    await setPolicy(['http']);
    const results = await Promise.all(
      devices.map(async (d) => {
        const res = await nbi.call<PokeResult>('POST', `/devices/${encodeURIComponent(d.id)}/poke?wait=10`);
        return { d, res };
      }),
    );
    for (const { d, res } of results) {
      report(`HTTP-only poke of ${d.id}: HTTP ${res.status}, outcome ${res.body.outcome}, transport ${res.body.transport}, ${res.body.latencyMs} ms, ${res.body.detail}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ deviceId: d.id, outcome: 'no_route', transport: 'none', session: null, timedOut: false });
      expect(res.body.detail).toContain(`${CPE_ADDRESS} is a private address while the CPE calls in from public ${t.publicAddress}`);
    }
    // Nor would the network have carried it: the NAT forwards nothing inbound, the router's public address refuses
    // the CPE's connection-request port itself, and the ACS has no route to the CPE's own.
    const crPort = Number(new URL(devices[0]?.connectionRequest.connectionRequestURL ?? '').port);
    const inbound = await tcpConnectOutcome(t.publicAddress, crPort, t.acsAddress);
    report(`TCP from ${t.acsAddress} to the router's ${t.publicAddress}:${crPort}: ${inbound}`);
    expect(inbound).toBe('ECONNREFUSED');
  }, 60_000);

  it('UDP: every CPE of the fleet takes the signed datagram through the NAT and opens a 6 CONNECTION REQUEST session', async () => {
    await setPolicy(['udp', 'http']);
    const started = Date.now();
    const results = await Promise.all(
      devices.map(async (d) => {
        const res = await nbi.call<PokeResult>('POST', `/devices/${encodeURIComponent(d.id)}/poke?wait=${DEADLINE_MS / 1000 + 5}`);
        return { d, res };
      }),
    );
    report(`${FLEET_SIZE} UDP pokes in parallel answered within ${Date.now() - started} ms`);
    for (const { d, res } of results) {
      report(`UDP poke of ${d.id}: HTTP ${res.status}, outcome ${res.body.outcome}, transport ${res.body.transport}, accepted after ${res.body.latencyMs} ms, session after ${res.body.session?.latencyMs} ms, ${res.body.detail ?? ''}`);
      expect(res.status).toBe(200);
      // `session` is the session.started naming this poke: the gateway saw the CPE's Inform with 6 CONNECTION REQUEST.
      expect(res.body).toMatchObject({ deviceId: d.id, outcome: 'accepted', transport: 'udp', session: { sessionId: expect.any(String) }, timedOut: false });
      // The datagram went to the binding connreq-stun recorded from the CPE's signed keep-alives (requireAuth).
      expect(res.body.detail).toContain(`to ${d.connectionRequest.udpConnectionRequestAddress} (binding)`);
      const after = await nbi.device(d.id);
      expect((after as unknown as DeviceView).lastPoke?.requestId).toBe(res.body.requestId);
    }
    expect(fleet?.child.exitCode ?? null).toBeNull();
  }, 60_000);
});
