import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeDeviceStoreContract } from '../../src/store/device-store.contract.js';
import { createMongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';
import type { ConditionalWrites } from '../../src/store/mongo/ferretdb-workarounds.js';

export const freshDbName = () => `acs_store_${randomBytes(6).toString('hex')}`;

/**
 * One MongoDB-wire test server for the file (`start` in beforeAll, stopped in afterAll), the store contract on it
 * with a fresh database per test, and a check of the conditional-write mode the store picks there from buildInfo.
 * Returns the server's URL, for the file's own tests.
 */
export function describeStoreOnMongoWireServer(name: string, start: () => Promise<{ url: string; stop(): Promise<void> }>, expected: ConditionalWrites): () => string {
  let server: { url: string; stop(): Promise<void> } | undefined;
  const url = () => {
    if (!server) throw new Error(`${name} did not start`);
    return server.url;
  };

  beforeAll(async () => {
    server = await start();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  describeDeviceStoreContract(`MongoDeviceStore (${name})`, () => createMongoDeviceStore({ uri: url(), dbName: freshDbName() }));

  describe(`MongoDeviceStore on ${name}`, () => {
    it(`chooses conditionalWrites '${expected}' there (from buildInfo)`, async () => {
      const store = await createMongoDeviceStore({ uri: url(), dbName: freshDbName() });
      try {
        expect(store.conditionalWrites).toBe(expected);
      } finally {
        await store.close();
      }
    });
  });
  return url;
}
