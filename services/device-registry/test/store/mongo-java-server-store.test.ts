import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMongoJavaServer, type MongoJavaServer } from '@acs/testkit';
import { describeDeviceStoreContract } from '../../src/store/device-store.contract.js';
import { createMongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';

// The store contract on mongo-java-server (in-memory backend), the MongoDB-wire server the distributed e2e and
// benchmark run on: it applies conditional updates atomically, so the store uses the filter-guarded writes.
let server: MongoJavaServer;

beforeAll(async () => {
  server = await startMongoJavaServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const freshDbName = () => `acs_store_${randomBytes(6).toString('hex')}`;

describeDeviceStoreContract('MongoDeviceStore (mongo-java-server)', () => createMongoDeviceStore({ uri: server.url, dbName: freshDbName() }));

describe('MongoDeviceStore on mongo-java-server', () => {
  it('chooses filter-guarded writes there (it is not FerretDB)', async () => {
    const store = await createMongoDeviceStore({ uri: server.url, dbName: freshDbName() });
    try {
      expect(store.conditionalWrites).toBe('filter');
    } finally {
      await store.close();
    }
  });

  it('tells a created device from an updated one although its findAndModify reply has no lastErrorObject', async () => {
    const store = await createMongoDeviceStore({ uri: server.url, dbName: freshDbName() });
    try {
      const device = { id: 'OUI-PC-SN', oui: 'OUI', productClass: 'PC', serialNumber: 'SN' };
      expect((await store.upsertDevice(device, 1)).created).toBe(true);
      expect((await store.upsertDevice(device, 2)).created).toBe(false);
    } finally {
      await store.close();
    }
  });
});
