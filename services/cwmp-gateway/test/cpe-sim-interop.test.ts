// The repo's CPE simulator (its own HTTP client, Digest, cookies and codec use) against two gateway replicas.
import { afterEach, describe, expect, it } from '@jest/globals';
import { bundledModelSpec, createCpe, type Cpe } from '@acs/cpe-sim';
import type { GetParameterValuesResponse } from '@acs/cwmp';
import { FakeRegistry } from './support/fake-registry.js';
import { DEVICE, DEVICE_ID, startGateways, type Harness } from './support/harness.js';

let harness: Harness | undefined;
let cpe: Cpe | undefined;
afterEach(async () => {
  await cpe?.stop();
  await harness?.stop();
  cpe = undefined;
  harness = undefined;
});

function simulatedCpe(acsUrl: string, password: string): Cpe {
  return createCpe({
    deviceId: DEVICE,
    model: ({ connectionRequestUrl }) =>
      bundledModelSpec('tr181', {
        manufacturer: DEVICE.manufacturer,
        oui: DEVICE.oui,
        productClass: DEVICE.productClass,
        serialNumber: DEVICE.serialNumber,
        macAddress: '02:00:00:00:00:01',
        wanIpAddress: '192.0.2.10',
        acsUrl,
        username: 'sim-cpe',
        password,
        connectionRequestUrl,
        connectionRequestUsername: 'cr',
        connectionRequestPassword: 'cr-pw',
        periodicInformEnable: 'false',
        periodicInformInterval: '3600',
      }),
    connectionRequest: false,
    retry: false,
    httpTimeoutMs: 5_000,
  });
}

describe('the CPE simulator against the gateway', () => {
  it('authenticates with Digest and runs the queued RPCs in one session', async () => {
    const registry = new FakeRegistry()
      .addCredential('sim-cpe', { password: 'sim-pw', deviceId: DEVICE_ID })
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.Manufacturer'] } })
      .queue(DEVICE_ID, {
        taskId: 't-2',
        rpc: { name: 'SetParameterValues', parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '600', type: 'unsignedInt' }], parameterKey: 'k1' },
      });
    harness = await startGateways(2, { registry });
    cpe = simulatedCpe(harness.urls[0] as string, 'sim-pw');
    await cpe.start({ inform: false });
    const result = await cpe.inform(['1 BOOT']);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.rpcs).toEqual(['GetParameterValues', 'SetParameterValues']);
    const gpv = registry.results[0]?.outcome as { response: GetParameterValuesResponse };
    expect(gpv.response.parameterList).toEqual([{ name: 'Device.DeviceInfo.Manufacturer', value: DEVICE.manufacturer, type: 'string' }]);
    expect(registry.results[1]).toMatchObject({ taskId: 't-2', outcome: { response: { name: 'SetParameterValuesResponse', status: 0 } } });
    expect(cpe.model.getValue('Device.ManagementServer.PeriodicInformInterval')).toBe('600');
  });

  it('is refused with a wrong password', async () => {
    const registry = new FakeRegistry().addCredential('sim-cpe', { password: 'sim-pw', deviceId: DEVICE_ID });
    harness = await startGateways(1, { registry });
    cpe = simulatedCpe(harness.urls[0] as string, 'not-the-password');
    await cpe.start({ inform: false });
    const result = await cpe.inform(['1 BOOT']);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('AUTH_FAILED');
    expect(registry.informs).toHaveLength(0);
  });
});
