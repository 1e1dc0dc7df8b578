import type { DeviceIdStruct } from '@acs/cwmp';
import { bundledModelSpec, createCpe, type BundledModelName, type Cpe, type CpeOptions, type ModelContext } from '../../src/index.js';

export interface TestCpeOptions extends Partial<Omit<CpeOptions, 'model' | 'deviceId'>> {
  acsUrl: string;
  model?: BundledModelName;
  serial?: string;
  username?: string;
  password?: string;
  crUsername?: string;
  crPassword?: string;
}

/** A CPE on a bundled model, with test-friendly timing (one protocol second = 20 ms). */
export function makeCpe(o: TestCpeOptions): Cpe {
  const deviceId: DeviceIdStruct = { manufacturer: 'ACME', oui: '02A0C5', productClass: 'SimGW', serialNumber: o.serial ?? 'SIM000001' };
  const ctx = (connectionRequestUrl: string): ModelContext => ({
    ...deviceId,
    macAddress: '02:5A:00:00:00:01',
    wanIpAddress: '10.0.0.2',
    acsUrl: o.acsUrl,
    username: o.username ?? '',
    password: o.password ?? '',
    connectionRequestUrl,
    connectionRequestUsername: o.crUsername ?? 'cr-user',
    connectionRequestPassword: o.crPassword ?? 'cr-pass',
    periodicInformEnable: 'true',
    periodicInformInterval: '300',
  });
  return createCpe({
    secondMs: 20,
    httpTimeoutMs: 5_000,
    ...o,
    deviceId,
    model: ({ connectionRequestUrl }) => bundledModelSpec(o.model ?? 'tr181', ctx(connectionRequestUrl)),
  });
}
