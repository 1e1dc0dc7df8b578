import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAllInOne, type AllInOne } from '@acs/app';
import { createFleet, type Cpe, type SessionResult } from '@acs/cpe-sim';
import { createLogger } from '@acs/telemetry';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeAcsCore, deviceIdOf, onboardedCpe, startFleet, type AcsUnderTest } from './support/acs-core.js';
import { compactTr181Model } from './support/compact-model.js';
import { NbiClient } from './support/nbi-client.js';
import { waitFor } from './support/poll.js';

describe('end to end: the all-in-one app (SQLite, in-process bus, memory kv)', () => {
  let dataDir: string;
  let app: AllInOne;
  let acs: AcsUnderTest;
  const onboarding = { username: 'aio-onboard', password: randomBytes(12).toString('base64url') };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'acs-e2e-aio-'));
    app = await createAllInOne({
      dataDir,
      cwmp: { port: 0 },
      nbi: { port: 0 },
      onboarding,
      logger: createLogger({ service: 'acs-e2e', level: 'error' }),
    });
    if (app.adminToken === undefined) throw new Error('a fresh data dir must yield an admin token');
    acs = { cwmpUrl: app.cwmpUrl, nbi: new NbiClient(app.nbiUrl, app.adminToken), onboarding };
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describeAcsCore(() => acs);

  it('runs 200 simulated CPEs in parallel with zero failed sessions', async () => {
    const fleet = await startFleet(acs, { serialPrefix: 'LOAD', count: 200, model: compactTr181Model(), username: onboarding.username, password: onboarding.password });
    const started = Date.now();
    const results = await fleet.run({ sessions: 200, concurrency: 200 });
    const stats = fleet.summary(results, Date.now() - started);
    process.stdout.write(`all-in-one, 200 parallel boot sessions: ${JSON.stringify(stats)}\n`);
    expect(results).toHaveLength(200);
    expect(results.filter((r) => !r.ok).map((r) => r.error?.message)).toEqual([]);
    const devices = await acs.nbi.call<{ total: number }>('GET', '/devices?limit=1');
    expect(devices.body.total).toBeGreaterThanOrEqual(200);
  }, 120_000);

  it('pokes with no infrastructure: ?connect=true reaches the CPE, whose 6 CONNECTION REQUEST session runs the task', async () => {
    const fleet = createFleet({
      acsUrl: acs.cwmpUrl,
      count: 1,
      serialPrefix: 'AIOPOKE',
      model: compactTr181Model(),
      username: onboarding.username,
      password: onboarding.password,
      connectionRequest: { host: '127.0.0.1' },
      retry: false,
      httpTimeoutMs: 20_000,
    });
    try {
      await fleet.start();
      const cpe = fleet.cpes[0] as Cpe;
      expect((await cpe.inform([])).error?.message ?? 'ok').toBe('ok');
      const id = deviceIdOf(cpe);
      const sessions: SessionResult[] = [];
      cpe.onSession((r) => sessions.push(r));

      const created = await acs.nbi.call<{ tasks: { id: string }[]; poke: { requestId: string | null } }>('POST', `/devices/${encodeURIComponent(id)}/tasks?connect=true`, {
        type: 'setParameterValues',
        args: { parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '1234' }] },
      });
      expect(created.status).toBe(201);
      expect(created.body.poke.requestId).toEqual(expect.any(String));
      const session = await waitFor('the connection-request session', async () => sessions.find((r) => r.events.includes('6 CONNECTION REQUEST')));
      expect(session.error?.message ?? 'ok').toBe('ok');
      expect(session.rpcs).toContain('SetParameterValues');
      const task = await acs.nbi.waitTaskFinished(created.body.tasks[0]?.id ?? '');
      expect(task.status).toBe('done');
      expect(await acs.nbi.value(id, 'Device.ManagementServer.PeriodicInformInterval')).toBe('1234');

      // /poke?wait= reports the outcome of a poke the worker performed in this same process, and the session it opened.
      const waited = await acs.nbi.call<{ requestId: string; outcome: string | null; transport: string | null; session: { sessionId: string } | null }>(
        'POST',
        `/devices/${encodeURIComponent(id)}/poke?wait=8`,
      );
      expect(waited.status).toBe(200);
      expect(waited.body).toMatchObject({ outcome: 'accepted', transport: 'http', session: { sessionId: expect.any(String) }, timedOut: false });
    } finally {
      await fleet.stop();
    }
  }, 60_000);

  it('keeps what it acknowledged across a stop and a restart on the same data dir', async () => {
    const cpe = await onboardedCpe(acs, 'RESTART');
    const id = deviceIdOf(cpe);
    const token = app.adminToken as string;
    await app.stop();
    app = await createAllInOne({ dataDir, cwmp: { port: 0 }, nbi: { port: 0 }, onboarding, logger: createLogger({ service: 'acs-e2e', level: 'error' }) });
    // The first start's token is kept (hashed) in the data dir; no new one is printed.
    expect(app.adminToken).toBeUndefined();
    const nbi = new NbiClient(app.nbiUrl, token);
    expect(await nbi.value(id, 'Device.DeviceInfo.SerialNumber')).toBe(cpe.deviceId.serialNumber);
    acs = { cwmpUrl: app.cwmpUrl, nbi, onboarding };
  });
});
