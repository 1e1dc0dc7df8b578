// Two replicas behind a real HAProxy balancing round robin with no stickiness and `http-reuse always`: upstream
// connections are shared between CPEs, the condition that breaks ACS sessions bound to a socket.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceIdFromParts } from '@acs/contracts';
import { decode } from '@acs/cwmp';
import { startHaproxy, type HaproxyServer } from '@acs/testkit';
import { FakeRegistry } from './support/fake-registry.js';
import { DEVICE, envelope, informXml, startGateways, TestCpe, type Harness } from './support/harness.js';

const CPES = 4;
const RPCS_PER_CPE = 3;
const registry = new FakeRegistry().addCredential('fleet', { password: 'fleet-pw' });
let harness: Harness;
let proxy: HaproxyServer;

beforeAll(async () => {
  // Behind a proxy the gateway does not trust, the connection fallback must be off (README).
  harness = await startGateways(2, { registry, settings: { connectionFallback: false } });
  proxy = await startHaproxy({ backends: harness.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })), reuse: true });
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await harness?.stop();
});

async function runSession(serial: string): Promise<string[]> {
  const device = { ...DEVICE, serialNumber: serial };
  const deviceId = deviceIdFromParts(device.oui, device.productClass, device.serialNumber);
  for (let i = 0; i < RPCS_PER_CPE; i += 1) {
    registry.queue(deviceId, { taskId: `${serial}-t${i}`, rpc: { name: 'GetParameterValues', parameterNames: [`Device.X_${serial}.${i}`] } });
  }
  const cpe = new TestCpe([`${proxy.url}/cwmp/`], { username: 'fleet', password: 'fleet-pw' });
  const informRes = await cpe.open({ inform: informXml({ device }) });
  expect(informRes.status).toBe(200);
  const seen: string[] = [];
  let res = await cpe.post('');
  while (res.status === 200) {
    const d = decode(res.body);
    if (d.kind === 'empty' || d.envelope.body.name !== 'GetParameterValues') throw new Error(`unexpected ${res.body}`);
    const name = d.envelope.body.parameterNames[0] as string;
    seen.push(name);
    res = await cpe.post(
      envelope({ name: 'GetParameterValuesResponse', parameterList: [{ name, value: serial, type: 'string' }] }, { id: d.envelope.header.id as string }),
    );
  }
  expect(res.status).toBe(204);
  return seen;
}

describe('behind HAProxy (round robin, http-reuse always)', () => {
  it('runs concurrent sessions of several CPEs to the end, each with its own RPCs', async () => {
    const serials = Array.from({ length: CPES }, (_, i) => `SN${i}`);
    const seen = await Promise.all(serials.map((s) => runSession(s)));
    seen.forEach((names, i) => expect(names).toEqual(Array.from({ length: RPCS_PER_CPE }, (_, j) => `Device.X_SN${i}.${j}`)));
    // Every answer reached the registry under the device that sent it.
    for (const r of registry.results) {
      const answer = (r.outcome as { response: { parameterList: { value: string }[] } }).response.parameterList[0]?.value as string;
      expect(r.deviceId).toBe(deviceIdFromParts(DEVICE.oui, DEVICE.productClass, answer));
    }
    expect(registry.results).toHaveLength(CPES * RPCS_PER_CPE);
    const replicas = new Set(harness.logs.lines.filter((l) => l.msg === 'session ended' || l.msg === 'session started').map((l) => l.replica));
    expect(replicas).toEqual(new Set([0, 1]));
  });
});
