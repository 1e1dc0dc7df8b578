import { afterEach, beforeEach, describe } from '@jest/globals';
import type { DeviceStore } from './device-store.js';
import { credentialStoreContract } from './contract/credentials.contract.js';
import { deviceTypeStoreContract } from './contract/device-types.contract.js';
import { deviceRecordsContract } from './contract/devices.contract.js';
import { faultLogContract } from './contract/fault-log.contract.js';
import { parameterTreeContract } from './contract/parameter-tree.contract.js';
import { taskQueueContract } from './contract/task-queue.contract.js';

/**
 * The behaviour every DeviceStore adapter must show, one part per role (contract/*.contract.ts). `makeStore`
 * returns a store over a fresh, empty database each time; the suite closes it after each test.
 */
export function describeDeviceStoreContract(name: string, makeStore: () => Promise<DeviceStore>): void {
  describe(`DeviceStore contract: ${name}`, () => {
    let store: DeviceStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    // The parts are declared once but run against a new store per test: they get a stand-in for the current one.
    const current = new Proxy({} as DeviceStore, {
      get: (_, prop) => {
        const value: unknown = Reflect.get(store, prop, store);
        return typeof value === 'function' ? value.bind(store) : value;
      },
    });
    deviceRecordsContract(current);
    parameterTreeContract(current);
    credentialStoreContract(current);
    deviceTypeStoreContract(current);
    taskQueueContract(current);
    faultLogContract(current);
  });
}
