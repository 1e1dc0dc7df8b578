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

    const current = () => store;
    deviceRecordsContract(current);
    parameterTreeContract(current);
    credentialStoreContract(current);
    deviceTypeStoreContract(current);
    taskQueueContract(current);
    faultLogContract(current);
  });
}
