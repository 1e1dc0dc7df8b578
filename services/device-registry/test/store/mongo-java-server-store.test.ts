import { describe, expect, it } from '@jest/globals';
import { startMongoJavaServer } from '@acs/testkit';
import { createMongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';
import { describeStoreOnMongoWireServer, freshDbName } from './mongo-wire-server-contract.js';

// The store contract on mongo-java-server (in-memory backend), the MongoDB-wire server the distributed e2e and
// benchmark run on: it applies conditional updates atomically, so the store uses the filter-guarded writes.
const url = describeStoreOnMongoWireServer('mongo-java-server', startMongoJavaServer, 'filter');

describe('MongoDeviceStore on mongo-java-server, its replies', () => {
  it('tells a created device from an updated one although its findAndModify reply has no lastErrorObject', async () => {
    const store = await createMongoDeviceStore({ uri: url(), dbName: freshDbName() });
    try {
      const device = { id: 'OUI-PC-SN', oui: 'OUI', productClass: 'PC', serialNumber: 'SN' };
      expect((await store.upsertDevice(device, 1)).created).toBe(true);
      expect((await store.upsertDevice(device, 2)).created).toBe(false);
    } finally {
      await store.close();
    }
  });
});
