import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { isUnavailable, unavailable } from './errors.js';
import { detectConditionalWrites, type ConditionalWrites } from './ferretdb-workarounds.js';
import { createModels, type MongoModels } from './schemas.js';

export interface MongoDeviceStoreOptions {
  /** mongodb://… connection string. */
  uri: string;
  /** Overrides the database named in the URI. */
  dbName?: string;
  /** How long to wait for a server before an operation fails (default 10 s). */
  serverSelectionTimeoutMS?: number;
  /**
   * How task transitions and fault retries guard against a concurrent write (see ConditionalWrites in
   * ferretdb-workarounds.ts); the same choice writes parameter trees with updateOne (MongoDB) or findAndModify
   * (FerretDB). Default: chosen from the server's buildInfo.
   */
  conditionalWrites?: ConditionalWrites;
}

export interface MongoConnection {
  conn: Connection;
  models: MongoModels;
  conditionalWrites: ConditionalWrites;
}

// 48 NamespaceExists: another replica created the collection first.
const isNamespaceExists = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && err.code === 48;

/** Connects and creates collections and indexes (idempotent). Throws StoreUnavailableError when no server answers. */
export async function openMongoConnection(options: MongoDeviceStoreOptions): Promise<MongoConnection> {
  const conn = mongoose.createConnection(options.uri, {
    dbName: options.dbName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Fail fast instead of queueing operations forever while disconnected.
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
  });
  try {
    await conn.asPromise();
    const conditionalWrites = options.conditionalWrites ?? (await detectConditionalWrites(conn));
    const models = createModels(conn);
    const all: { createCollection(): Promise<unknown>; createIndexes(): Promise<unknown> }[] = Object.values(models);
    await Promise.all(
      all.map(async (model) => {
        await model.createCollection().catch((err: unknown) => {
          if (!isNamespaceExists(err)) throw err;
        });
        await model.createIndexes();
      }),
    );
    return { conn, models, conditionalWrites };
  } catch (err) {
    await conn.close().catch(() => undefined);
    throw isUnavailable(err) ? unavailable(err) : err;
  }
}
