import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { freePort, startFerretDb } from '@acs/testkit';
import type { FerretDbServer } from '@acs/testkit';
import { describeDeviceStoreContract } from '../../src/store/device-store.contract.js';
import { StoreUnavailableError } from '../../src/store/device-store.js';
import { createMongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';

// One real FerretDB (MongoDB wire protocol, SQLite backend) for the file; a fresh database per test.
let server: FerretDbServer;

beforeAll(async () => {
  server = await startFerretDb();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const freshDbName = () => `acs_store_${randomBytes(6).toString('hex')}`;

// As deployed on FerretDB (read-check-write transitions, chosen from buildInfo), and with the filter-guarded
// transitions MongoDB gets, so that path runs against a real server too.
describeDeviceStoreContract('MongoDeviceStore (FerretDB)', () => createMongoDeviceStore({ uri: server.url, dbName: freshDbName() }));
describeDeviceStoreContract('MongoDeviceStore (FerretDB, conditionalWrites: filter)', () =>
  createMongoDeviceStore({ uri: server.url, dbName: freshDbName(), conditionalWrites: 'filter' }),
);

describe('MongoDeviceStore specifics', () => {
  it('opens twice on one database (indexes and collections already there)', async () => {
    const dbName = freshDbName();
    const a = await createMongoDeviceStore({ uri: server.url, dbName });
    await a.upsertDevice({ id: 'OUI-PC-SN', oui: 'OUI', productClass: 'PC', serialNumber: 'SN' }, 1);
    const b = await createMongoDeviceStore({ uri: server.url, dbName });
    try {
      expect(a.conditionalWrites).toBe('read-check-write'); // FerretDB says so in buildInfo
      expect((await b.upsertDevice({ id: 'OUI-PC-SN', oui: 'OUI', productClass: 'PC', serialNumber: 'SN' }, 2)).created).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('finds the open tasks of a device written before it kept their ids', async () => {
    const dbName = freshDbName();
    const store = await createMongoDeviceStore({ uri: server.url, dbName });
    const raw = new mongoose.mongo.MongoClient(server.url);
    try {
      const id = 'OUI-PC-OLD';
      await store.upsertDevice({ id, oui: 'OUI', productClass: 'PC', serialNumber: 'OLD' }, 1);
      const [first] = await store.createTasks(id, [{ type: 'reboot', args: {} }], 1);
      await raw.db(dbName).collection<{ _id: string }>('devices').updateOne({ _id: id }, { $unset: { openTaskIds: '' } });
      expect((await store.openTasks(id)).map((t) => t.id)).toEqual([first?.id]);
      // And a device whose first task after the upgrade is queued: earlier ones join it.
      await raw.db(dbName).collection<{ _id: string }>('devices').updateOne({ _id: id }, { $unset: { openTaskIds: '' } });
      const [second] = await store.createTasks(id, [{ type: 'getRPCMethods', args: {} }], 2);
      expect((await store.openTasks(id)).map((t) => t.id)).toEqual([first?.id, second?.id]);
      // An id whose insert never happened (a crash between the reservation and the insert) is dropped on read.
      const devices = raw.db(dbName).collection<{ _id: string; openTaskIds?: string[] }>('devices');
      await devices.updateOne({ _id: id }, { $push: { openTaskIds: 'never-inserted' } });
      expect((await store.openTasks(id)).map((t) => t.id)).toEqual([first?.id, second?.id]);
      expect((await devices.findOne({ _id: id }))?.openTaskIds?.sort()).toEqual([first?.id, second?.id].sort());
    } finally {
      await Promise.all([store.close(), raw.close()]);
    }
  });

  it('reads a type without a STUN policy and a device without the UDP address time (documents from before STUN) as null', async () => {
    const dbName = freshDbName();
    const store = await createMongoDeviceStore({ uri: server.url, dbName });
    const raw = new mongoose.mongo.MongoClient(server.url);
    try {
      await store.upsertDevice({ id: 'OUI-PC-A', oui: 'OUI', productClass: 'PC', serialNumber: 'A', connectionRequest: { udpConnectionRequestAddress: '192.0.2.1:7547' } }, 7);
      const type = await store.createDeviceType({ name: 'gw' }, 9);
      await raw.db(dbName).collection<{ _id: string }>('devices').updateOne({ _id: 'OUI-PC-A' }, { $unset: { 'connectionRequest.udpConnectionRequestAddressSeenAt': '' } });
      await raw.db(dbName).collection<{ _id: string }>('deviceTypes').updateOne({ _id: type.id }, { $unset: { 'connectionRequestPolicy.stun': '' } });
      expect((await store.getDevice('OUI-PC-A'))?.connectionRequest).toMatchObject({ udpConnectionRequestAddress: '192.0.2.1:7547', udpConnectionRequestAddressSeenAt: null });
      expect(await store.getDeviceType(type.id)).toEqual(type);
    } finally {
      await Promise.all([store.close(), raw.close()]);
    }
  });

  it('fails with StoreUnavailableError when no server answers', async () => {
    const port = await freePort();
    await expect(createMongoDeviceStore({ uri: `mongodb://127.0.0.1:${port}/`, dbName: 'x', serverSelectionTimeoutMS: 300 })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
