import mongoose from 'mongoose';

/** One MongoDB `ping` round trip to a server at `url` (the readiness probe of the MongoDB-wire servers). */
export async function mongoPing(url: string): Promise<boolean> {
  const client = new mongoose.mongo.MongoClient(url, { directConnection: true, serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.connect();
    const res = await client.db('admin').command({ ping: 1 });
    return res.ok === 1;
  } finally {
    await client.close();
  }
}
