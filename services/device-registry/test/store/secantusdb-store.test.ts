import { startSecantusDb } from '@acs/testkit';
import { describeStoreOnMongoWireServer } from './mongo-wire-server-contract.js';

// The store contract on SecantusDB's Python MongoDB-wire server (secantusd-py, WiredTiger storage, from PyPI). It is
// not FerretDB, so the store uses the filter-guarded writes.
describeStoreOnMongoWireServer('SecantusDB', startSecantusDb, 'filter');
