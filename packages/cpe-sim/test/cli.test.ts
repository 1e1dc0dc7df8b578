import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startProsody } from '@acs/testkit';
import { encodeUdpConnectionRequest, newUdpConnectionRequestFields } from '@acs/stun';
import { startStunResponder } from './support/stun-responder.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { waitFor } from './support/wait-for.js';

const run = promisify(execFile);
const PKG = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TSC = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));

let acs: TestAcs;

beforeAll(async () => {
  // The CLI is tested as users run it: the built dist/cli.js.
  execFileSync(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: PKG, stdio: 'inherit' });
  acs = await startTestAcs({ auth: 'digest', username: 'fleet', password: 'fleet-pw' });
}, 120_000);

afterAll(async () => {
  await acs?.close();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('acs-sim CLI', () => {
  it('--help lists the options', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--stun-server', '--stun-username', '--stun-password', '--stun-keep-alive-ms', '--stun-rfc5389', '--stun-host', '--stun-port-base', '--no-stun', '--xmpp-server', '--xmpp-ca', '--xmpp-login-concurrency', '--no-xmpp', '--acs-url', '--devices', '--model', '--username', '--password', '--auth', '--serial-prefix', '--oui', '--product-class', '--concurrency', '--duration', '--sessions', '--inform-interval', '--cr-host', '--cr-port-base', '--json']) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('runs a short fleet against the test ACS and prints a JSON summary', async () => {
    acs.queue('CLI000002', { name: 'GetParameterValues', parameterNames: ['Device.Nope'] });
    const before = acs.sessions.length;
    const r = await cli([
      '--acs-url', acs.url, '--devices', '4', '--sessions', '10', '--concurrency', '2',
      '--username', 'fleet', '--password', 'fleet-pw', '--serial-prefix', 'CLI', '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { sessionsPerSecond: number; latencyMs: { p50: number; p95: number; p99: number }; faults: Record<string, number> };
    expect(s).toMatchObject({ devices: 4, model: 'tr181', sessions: 10, ok: 10, failed: 0, errors: {} });
    expect(s.faults).toEqual({ '9005': 1 });
    expect(s.sessionsPerSecond).toBeGreaterThan(0);
    expect(s.latencyMs.p50).toBeGreaterThan(0);
    expect(s.latencyMs.p50).toBeLessThanOrEqual(s.latencyMs.p95);
    expect(s.latencyMs.p95).toBeLessThanOrEqual(s.latencyMs.p99);
    const mine = acs.sessions.slice(before);
    expect(mine).toHaveLength(10);
    const serials = new Set(mine.map((x) => x.inform.deviceId.serialNumber));
    expect(serials).toEqual(new Set(['CLI000001', 'CLI000002', 'CLI000003', 'CLI000004']));
    // Each device's first session is its bootstrap.
    const boots = mine.filter((x) => x.inform.event.some((e) => e.eventCode === '0 BOOTSTRAP'));
    expect(boots).toHaveLength(4);
  });

  it('counts failed sessions and exits 2 when the ACS rejects the credentials', async () => {
    const r = await cli(['--acs-url', acs.url, '--devices', '2', '--username', 'fleet', '--password', 'wrong', '--model', 'tr098']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/sessions: 0 ok, 2 failed, 2 total/);
    expect(r.stdout).toMatch(/errors: AUTH_FAILED x2/);
  });

  it('loads a CSV dump as the model and rejects a missing file cleanly', async () => {
    const dump = fileURLToPath(new URL('../../../../shared/data/vendor-models/tplink-ec220g5v3-tr181.csv', import.meta.url));
    const before = acs.sessions.length;
    const ok = await cli(['--acs-url', acs.url, '--model', dump, '--username', 'fleet', '--password', 'fleet-pw', '--json', '--no-cr']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: 1, failed: 0 });
    expect(acs.sessions[before]?.inform.deviceId).toMatchObject({ oui: '9CA2F4', productClass: 'EC220-G5', serialNumber: 'SIM000001' });
    const missing = await cli(['--acs-url', acs.url, '--model', '/nonexistent.csv']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
  });

  it('runs for a --duration, back to back or on the CPEs\' own periodic timers', async () => {
    const backToBack = await cli(['--acs-url', acs.url, '--devices', '2', '--duration', '1', '--username', 'fleet', '--password', 'fleet-pw', '--json', '--serial-prefix', 'DUR']);
    expect(backToBack.code).toBe(0);
    const a = JSON.parse(backToBack.stdout) as { sessions: number; ok: number; wallMs: number };
    expect(a.sessions).toBeGreaterThan(2);
    expect(a.ok).toBe(a.sessions);
    expect(a.wallMs).toBeGreaterThanOrEqual(1000);
    const timers = await cli(['--acs-url', acs.url, '--devices', '2', '--duration', '1', '--inform-interval', '300', '--username', 'fleet', '--password', 'fleet-pw', '--json', '--serial-prefix', 'TMR']);
    expect(timers.code).toBe(0);
    // A 300 s interval does not fire within 1 s: only the two boot sessions ran.
    expect(JSON.parse(timers.stdout)).toMatchObject({ sessions: 2, ok: 2 });
  });

  it('provisions every CPE for XMPP with --xmpp-server and reports their XMPP status', async () => {
    const server = await startProsody({ users: [{ username: 'xmp000001', password: 'xp' }, { username: 'xmp000002', password: 'xp' }] });
    try {
      const r = await cli([
        '--acs-url', acs.url, '--devices', '2', '--duration', '2', '--inform-interval', '300', '--username', 'fleet', '--password', 'fleet-pw',
        '--serial-prefix', 'XMP', '--json', '--xmpp-server', `${server.host}:${server.port}`, '--xmpp-domain', server.domain,
        '--xmpp-password', 'xp', '--xmpp-ca', server.caFile, '--xmpp-login-concurrency', '1',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as { ok: number; sessions: number; xmpp: Record<string, number> };
      expect(s.xmpp).toEqual({ Enabled: 2 });
      expect(s.ok).toBe(s.sessions);
      const changed = acs.sessions.filter((x) => x.inform.parameterList.some((p) => p.name === 'Device.ManagementServer.ConnReqJabberID' && p.value !== ''));
      expect(changed.map((x) => x.inform.deviceId.serialNumber).sort()).toEqual(['XMP000001', 'XMP000002']);
    } finally {
      await server.stop();
    }
  });

  it('runs a STUN fleet with --stun-server: bindings from --stun-host, a signed UDP request answered, counters in the JSON', async () => {
    const stun = await startStunResponder();
    try {
      const before = acs.sessions.length;
      const running = cli([
        '--acs-url', acs.url, '--devices', '2', '--duration', '3', '--inform-interval', '300', '--username', 'fleet', '--password', 'fleet-pw',
        '--serial-prefix', 'UDP', '--json', '--stun-server', `127.0.0.1:${stun.port}`, '--stun-host', '127.0.0.1', '--stun-keep-alive-ms', '500',
      ]);
      // The responder learns each CPE's UDP port from its Binding Requests, as an ACS's STUN server does.
      await stun.waitForRequests(2, 10_000);
      const first = stun.requests.find((r) => r.message.username === 'UDP000001')!;
      expect(first.message.legacy).toBe(true);
      expect(first.from.address).toBe('127.0.0.1');
      await stun.send(encodeUdpConnectionRequest({ host: first.from.address, port: first.from.port }, newUdpConnectionRequestFields('cr-UDP000001', Date.now()), 'cr-secret'), first.from);
      await waitFor(() => acs.sessions.slice(before).some((x) => x.inform.event.some((e) => e.eventCode === '6 CONNECTION REQUEST')), 10_000, () => 'a 6 CONNECTION REQUEST session');
      const r = await running;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as { stun: { bound: number; bindingRequests: number; udpConnectionRequests: Record<string, number> } };
      expect(s.stun.bound).toBe(2);
      expect(s.stun.bindingRequests).toBeGreaterThanOrEqual(2);
      expect(s.stun.udpConnectionRequests).toMatchObject({ accepted: 1, invalid: 0 });
      expect(new Set(stun.requests.map((x) => x.message.username))).toEqual(new Set(['UDP000001', 'UDP000002']));
    } finally {
      await stun.close();
    }
  });
});
