import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deviceIdFromParts } from '@acs/contracts';
import { createFleet } from '@acs/cpe-sim';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

// `npm run stack` (scripts/stack.ts): every service its own process on real NATS, Redis, FerretDB and Prosody,
// HAProxy round-robining over two gateways. Started as a user would (with --json so the endpoints can be read), used
// through HAProxy and the NBI, and stopped with Ctrl-C.

const ROOT = new URL('../../../', import.meta.url);
const TSX = fileURLToPath(new URL('node_modules/tsx/dist/cli.mjs', ROOT));
const STACK = fileURLToPath(new URL('scripts/stack.ts', ROOT));

interface Endpoints {
  cwmpUrl: string;
  gateways: string[];
  nbiUrl: string;
  nbiToken: string;
  stun: string;
  onboarding: { username: string; password: string };
}

describe('npm run stack: the distributed ACS as separate processes behind HAProxy', () => {
  let child: ChildProcess;
  let endpoints: Endpoints;
  let output = '';

  beforeAll(async () => {
    // --seconds bounds the run even if this test dies before its Ctrl-C.
    child = spawn(process.execPath, [TSX, STACK, '--json', '--seconds', '300'], { cwd: fileURLToPath(ROOT), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    endpoints = await new Promise<Endpoints>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the stack printed no endpoints in 150 s:\n${out}${output}`)), 150_000);
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line === undefined) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Endpoints);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack exited with ${code}:\n${out}${output}`));
      });
    });
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
  });

  it('admits CPEs through HAProxy, lists them through the NBI, pokes one, and stops everything on Ctrl-C', async () => {
    expect(endpoints.gateways).toHaveLength(2);
    expect(endpoints.cwmpUrl).not.toBe(endpoints.gateways[0]);
    const fleet = createFleet({ acsUrl: endpoints.cwmpUrl, count: 5, serialPrefix: 'STACK', ...endpoints.onboarding, connectionRequest: { host: '127.0.0.1' }, xmpp: false, stun: false, retry: false });
    await fleet.start();
    try {
      const results = await fleet.run({ sessions: 5, events: ['0 BOOTSTRAP', '1 BOOT'] });
      expect(results.filter((r) => !r.ok).map((r) => r.error?.message)).toEqual([]);
      const auth = { authorization: `Bearer ${endpoints.nbiToken}` };
      const listed = (await (await fetch(`${endpoints.nbiUrl}/devices?limit=50`, { headers: auth })).json()) as { items: { id: string }[] };
      const ids = fleet.cpes.map((c) => deviceIdFromParts(c.deviceId.oui, c.deviceId.productClass, c.deviceId.serialNumber));
      expect(listed.items.map((d) => d.id).sort()).toEqual([...ids].sort());
      // A poke through the router and the HTTP worker, each its own process.
      const poke = await fetch(`${endpoints.nbiUrl}/devices/${encodeURIComponent(ids[0]!)}/poke?wait=20`, { method: 'POST', headers: auth });
      expect(poke.status).toBe(200);
      expect(await poke.json()).toMatchObject({ outcome: 'accepted', transport: 'http' });
    } finally {
      await fleet.stop();
    }

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Everything it started is gone: the NBI and HAProxy no longer answer.
    for (const url of [`${endpoints.nbiUrl}/devices`, endpoints.cwmpUrl]) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    }
  }, 180_000);
});
