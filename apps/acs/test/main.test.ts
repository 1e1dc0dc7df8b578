import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createFleet } from '@acs/cpe-sim';
import { decodeStunMessage, encodeBindingRequest } from '@acs/stun';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAIN, startMain, stopMain } from './support/main-process.js';

describe('npm start (apps/acs dist/main.js)', () => {
  let dataDir: string;
  const env = () => ({ ACS_DATA_DIR: dataDir, CWMP_PORT: '0', NBI_PORT: '0', ACS_ONBOARDING_USERNAME: 'first-cpe', ACS_ONBOARDING_PASSWORD: 'first-cpe-secret' });
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'acs-main-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints its endpoints and a first-start token, admits a CPE with the onboarding credentials, stops on Ctrl-C and keeps the device', async () => {
    const first = await startMain(env());
    let token: string;
    try {
      const cwmpUrl = first.lines['CWMP endpoint'] as string;
      expect(cwmpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cwmp\/$/);
      expect(first.lines['NBI endpoint']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
      token = first.lines['NBI admin token (shown once, store it now)'] as string;
      expect(token).toBeDefined();

      // The STUN server answers on the printed port.
      const stun = new URL(first.lines['STUN endpoint'] as string);
      expect(stun.protocol).toBe('udp:');
      const socket = createSocket('udp4');
      const answer = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no STUN answer')), 5_000);
        socket.once('message', (message) => {
          clearTimeout(timer);
          resolve(message);
        });
        socket.bind(0, '127.0.0.1', () => socket.send(encodeBindingRequest({ legacy: true }), Number(stun.port), stun.hostname));
      });
      const local = socket.address();
      socket.close();
      expect(decodeStunMessage(answer)).toMatchObject({ kind: 'binding-response', mappedAddress: { address: '127.0.0.1', port: local.port } });

      // A first CPE pointed at it without any API call.
      const fleet = createFleet({ acsUrl: cwmpUrl, count: 1, serialPrefix: 'MAIN', username: 'first-cpe', password: 'first-cpe-secret', connectionRequest: false, retry: false });
      await fleet.start();
      const [result] = await fleet.run({ sessions: 1 });
      await fleet.stop();
      expect(result?.error?.message).toBeUndefined();
      expect(result?.ok).toBe(true);
    } finally {
      expect(await stopMain(first)).toBe(0);
    }
    expect(first.output()).toContain('Stopped.');

    // Same data dir: no new token, the old one works, the device acknowledged before Ctrl-C is there.
    const second = await startMain(env());
    try {
      expect(second.lines['NBI admin token (shown once, store it now)']).toBeUndefined();
      const res = await fetch(`${second.lines['NBI endpoint']}/devices/${encodeURIComponent('02A0C5-SimGW-MAIN000001')}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe('02A0C5-SimGW-MAIN000001');
    } finally {
      expect(await stopMain(second)).toBe(0);
    }
  }, 90_000);

  it('exits 2 and names the variable on bad configuration', async () => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ACS_DATA_DIR: dataDir, CWMP_PORT: 'seven' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('CWMP_PORT');
  });
});
