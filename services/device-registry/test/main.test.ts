import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type NatsBus } from '@acs/bus';
import { createSubjects, decodeJson, deviceIdFromParts } from '@acs/contracts';
import { freePort, startFerretDb, startNats, type FerretDbServer, type NatsServer } from '@acs/testkit';

// main.ts as an operator runs it: real NATS and FerretDB, env config, the NBI on a loopback port, SIGTERM.
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
let nats: NatsServer;
let ferret: FerretDbServer;
let client: NatsBus;

beforeAll(async () => {
  [nats, ferret] = await Promise.all([startNats(), startFerretDb()]);
  client = await createNatsBus({ servers: nats.url, name: 'main-itest' });
}, 90_000);

afterAll(async () => {
  await client?.close();
  await Promise.all([nats?.stop(), ferret?.stop()]);
});

function run(env: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: pkgDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('device-registry main', () => {
  it('serves the endpoints and the NBI, creates the onboarding type, and drains on SIGTERM', async () => {
    const port = await freePort();
    const token = randomBytes(24).toString('base64url');
    const proc = run({
      MONGODB_URL: `${ferret.url}acs_main_${randomBytes(4).toString('hex')}`,
      NATS_URL: nats.url,
      ACS_SUBJECT_PREFIX: 'mainit',
      ACS_SECRET_KEY: randomBytes(32).toString('base64'),
      CWMP_AUTH_REALM: 'main-it',
      ACS_ONBOARDING_USERNAME: 'lab',
      ACS_ONBOARDING_PASSWORD: 'lab-password',
      NBI_PORT: String(port),
      NBI_HOST: '127.0.0.1',
      ACS_NBI_TOKEN: token,
      LOG_LEVEL: 'warn',
    });
    try {
      await until('NBI /healthz', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));
      const devices = await fetch(`http://127.0.0.1:${port}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
      expect(devices.status).toBe(200);

      const subjects = createSubjects('mainit');
      const deviceIdStruct = { manufacturer: 'ACME', oui: '00AA11', productClass: 'GW', serialNumber: 'M1' };
      const reply = await client.request(
        subjects.registry.credentialsVerify,
        { deviceId: deviceIdFromParts('00AA11', 'GW', 'M1'), deviceIdStruct, username: 'lab', proof: { scheme: 'basic', password: 'lab-password' }, sourceIp: '127.0.0.1' },
        { timeoutMs: 10_000 },
      );
      const json = decodeJson(reply.data);
      expect(json.ok && json.value).toMatchObject({ ok: true, scope: 'type' });

      // The poke router runs in main too: a poke of a device nobody knows ends in one no_route event.
      const ghost = deviceIdFromParts('00AA11', 'GW', 'NOBODY');
      const events: unknown[] = [];
      client.subscribe(subjects.evt.connreq(ghost), (m) => {
        const decoded = decodeJson(m.data);
        if (decoded.ok) events.push(decoded.value);
      });
      await client.flush();
      await client.publishDurable(subjects.cmd.poke, { deviceId: ghost, requestId: 'main-poke-1' }, { msgId: 'main-poke-1' });
      const event = await until('the no_route event', async () => events[0]);
      expect(event).toMatchObject({ requestId: 'main-poke-1', deviceId: ghost, transport: 'none', outcome: 'no_route' });
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
  }, 60_000);

  it('exits 2 naming the variable when the configuration is invalid', async () => {
    const proc = run({ NBI_PORT: 'not-a-port' });
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toContain('ACS_SECRET_KEY');
    expect(proc.stderr()).toContain('NBI_PORT');
  }, 30_000);
});
