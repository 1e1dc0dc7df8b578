import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeAcsCore, deviceIdOf, expectOk, onboardedCpe, session, startFleet } from './support/acs-core.js';
import { compactTr181Model } from './support/compact-model.js';
import { startDistributedStack, type DistributedStack } from './support/distributed-stack.js';

// 200 first contacts at once: each onboards, gets its profile and a discovery. The MongoDB-wire server is
// mongo-java-server (in memory; the store contract also runs on FerretDB, which takes minutes for this: see the
// README); the generous timeouts keep a loaded 2-core CI box from failing on time alone.
const PARALLEL_CPES = Number(process.env.E2E_PARALLEL_CPES ?? 200);

describe('end to end: registry and two gateways as separate processes on NATS, Redis and mongo-java-server, behind a round-robin proxy', () => {
  let stack: DistributedStack;

  beforeAll(async () => {
    stack = await startDistributedStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  describeAcsCore(() => stack);

  it('alternates the requests of one session between the two gateways', async () => {
    const cpe = await onboardedCpe(stack, 'ALT');
    await stack.nbi.createTask(deviceIdOf(cpe), { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.UpTime'] } });
    const before = [...stack.proxy.served];
    const result = await session(cpe);
    expectOk(result);
    // Inform, the empty POST (answered with the GPV), the GPV answer (answered 204): three requests, two gateways.
    expect(result.httpRequests).toBeGreaterThanOrEqual(3);
    expect((stack.proxy.served[0] ?? 0) - (before[0] ?? 0)).toBeGreaterThanOrEqual(1);
    expect((stack.proxy.served[1] ?? 0) - (before[1] ?? 0)).toBeGreaterThanOrEqual(1);
  });

  it(`runs ${PARALLEL_CPES} simulated CPEs in parallel with zero failed sessions`, async () => {
    const fleet = await startFleet(stack, {
      serialPrefix: 'LOAD',
      count: PARALLEL_CPES,
      model: compactTr181Model(),
      httpTimeoutMs: 600_000,
      username: stack.onboarding.username,
      password: stack.onboarding.password,
    });
    const started = Date.now();
    const results = await fleet.run({ sessions: PARALLEL_CPES, concurrency: PARALLEL_CPES });
    const stats = fleet.summary(results, Date.now() - started);
    process.stdout.write(`${PARALLEL_CPES} parallel boot sessions: ${JSON.stringify(stats)}\n`);
    expect(results).toHaveLength(PARALLEL_CPES);
    expect(results.filter((r) => !r.ok).map((r) => r.error?.message)).toEqual([]);
    const devices = await stack.nbi.call<{ total: number }>('GET', '/devices?limit=1');
    expect(devices.body.total).toBeGreaterThanOrEqual(PARALLEL_CPES);
  }, 900_000);

  // Last: it leaves one gateway dead.
  it('completes a session through the other gateway when one is killed mid-session', async () => {
    const cpe = await onboardedCpe(stack, 'KILL');
    const id = deviceIdOf(cpe);
    const task = await stack.nbi.createTask(id, { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.SoftwareVersion'] } });
    let killed: number | undefined;
    stack.proxy.beforeRelay = async ({ backend, body }) => {
      // The gateway that sent the RPC dies before the CPE even sees it; the CPE's answer must land on the other one.
      if (killed === undefined && body.includes('GetParameterValues>')) {
        killed = backend;
        await stack.gateways[backend]?.kill();
      }
    };
    try {
      const servedBefore = [...stack.proxy.served];
      const result = await session(cpe);
      expectOk(result);
      expect(killed).toBeDefined();
      expect(result.rpcs).toEqual(['GetParameterValues']);
      const survivor = killed === 0 ? 1 : 0;
      expect((stack.proxy.served[survivor] ?? 0) - (servedBefore[survivor] ?? 0)).toBeGreaterThanOrEqual(2);
    } finally {
      stack.proxy.beforeRelay = undefined;
    }
    expect((await stack.nbi.waitTaskFinished(task.id)).status).toBe('done');
    expect(await stack.nbi.value(id, 'Device.DeviceInfo.SoftwareVersion')).toBe(cpe.model.getValue('Device.DeviceInfo.SoftwareVersion'));
  });
});
