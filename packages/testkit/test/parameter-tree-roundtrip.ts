import type mongoose from 'mongoose';

interface ParameterTreeDoc {
  _id: string;
  productClass: string;
  p: Record<string, { v: string; r?: number }>;
}

/**
 * What the registry's Mongo store does to a parameter tree, on any MongoDB-wire server: insert a document with an
 * escaped key, $set dotted paths under it, find it by a secondary-indexed field.
 */
export async function parameterTreeRoundTrip(client: mongoose.mongo.MongoClient): Promise<void> {
  const trees = client.db('acs').collection<ParameterTreeDoc>('parameterTrees');
  await trees.createIndex({ productClass: 1 });
  await trees.insertOne({ _id: 'dev-1', productClass: 'IGD', p: { 'Device%2eDeviceInfo%2eSoftwareVersion': { v: '1.0' } } });

  const res = await trees.updateOne({ _id: 'dev-1' }, { $set: { 'p.Device%2eDeviceInfo%2eSoftwareVersion.v': '1.1', 'p.Device%2eDeviceInfo%2eSoftwareVersion.r': 42 } });
  expect(res.matchedCount).toBe(1);

  const byIndex = await trees.find({ productClass: 'IGD' }).toArray();
  expect(byIndex).toEqual([{ _id: 'dev-1', productClass: 'IGD', p: { 'Device%2eDeviceInfo%2eSoftwareVersion': { v: '1.1', r: 42 } } }]);
}
