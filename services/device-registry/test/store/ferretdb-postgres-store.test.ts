import { describe } from '@jest/globals';
import { startFerretDbPostgres } from '@acs/testkit';
import { describeDeviceStoreContract } from '../../src/store/device-store.contract.js';
import { createMongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';
import { describeStoreOnMongoWireServer, freshDbName } from './mongo-wire-server-contract.js';

// The store contract on FerretDB v1 with its PostgreSQL backend (a throwaway cluster). It is FerretDB, so the store
// picks read-check-write transitions from buildInfo; the filter-guarded ones run against it too.
const url = describeStoreOnMongoWireServer('FerretDB on PostgreSQL', startFerretDbPostgres, 'read-check-write');
describe('FerretDB on PostgreSQL, conditionalWrites: filter', () => {
  describeDeviceStoreContract('MongoDeviceStore (FerretDB on PostgreSQL, filter)', () => createMongoDeviceStore({ uri: url(), dbName: freshDbName(), conditionalWrites: 'filter' }));
});
