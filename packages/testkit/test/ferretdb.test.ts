import mongoose, { Schema } from 'mongoose';
import { startFerretDb, type FerretDbServer } from '../src/index.js';

interface Device {
  deviceId: string;
  productClass: string;
  lastInform: Date;
}

describe('mongoose against a real FerretDB', () => {
  let server: FerretDbServer;
  let conn: mongoose.Connection;
  let Devices: mongoose.Model<Device>;

  beforeAll(async () => {
    server = await startFerretDb();
    conn = await mongoose.createConnection(`${server.url}acs`, { serverSelectionTimeoutMS: 5_000 }).asPromise();
    const schema = new Schema<Device>({
      deviceId: { type: String, required: true },
      productClass: { type: String, required: true },
      lastInform: { type: Date, required: true },
    });
    schema.index({ deviceId: 1 }, { unique: true });
    schema.index({ productClass: 1, lastInform: -1 });
    Devices = conn.model<Device>('Device', schema);
  }, 60_000);

  afterAll(async () => {
    await conn?.close();
    await server?.stop();
  });

  it('listens on loopback and answers hello with a MongoDB wire version', async () => {
    expect(server.url).toBe(`mongodb://127.0.0.1:${server.port}/`);
    const hello = await conn.db!.admin().command({ hello: 1 });
    expect(hello.ok).toBe(1);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(8);
  });

  it('inserts, finds and updates documents', async () => {
    const at = new Date('2026-01-01T00:00:00Z');
    await Devices.create([
      { deviceId: '00D09E-IGD-1', productClass: 'IGD', lastInform: at },
      { deviceId: '00D09E-IGD-2', productClass: 'IGD', lastInform: at },
      { deviceId: 'A0B1C2-STB-1', productClass: 'STB', lastInform: at },
    ]);
    const igds = await Devices.find({ productClass: 'IGD' }).sort({ deviceId: 1 }).lean();
    expect(igds.map((d) => d.deviceId)).toEqual(['00D09E-IGD-1', '00D09E-IGD-2']);

    const later = new Date('2026-01-02T00:00:00Z');
    const res = await Devices.updateOne({ deviceId: '00D09E-IGD-2' }, { $set: { lastInform: later } });
    expect(res.modifiedCount).toBe(1);
    const updated = await Devices.findOne({ deviceId: '00D09E-IGD-2' }).lean();
    expect(updated?.lastInform.toISOString()).toBe(later.toISOString());
  });

  it('creates the schema indexes (seen by listIndexes) and enforces the unique one', async () => {
    await Devices.syncIndexes();
    const indexes = await Devices.collection.listIndexes().toArray();
    const byKey = new Map(indexes.map((ix) => [JSON.stringify(ix.key), ix]));
    expect(byKey.get(JSON.stringify({ deviceId: 1 }))?.unique).toBe(true);
    expect(byKey.has(JSON.stringify({ productClass: 1, lastInform: -1 }))).toBe(true);

    const dup = Devices.create({ deviceId: '00D09E-IGD-1', productClass: 'IGD', lastInform: new Date() });
    await expect(dup).rejects.toMatchObject({ code: 11000 });
    expect(await Devices.countDocuments({ deviceId: '00D09E-IGD-1' })).toBe(1);
  });
});
