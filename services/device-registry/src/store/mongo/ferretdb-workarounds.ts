// Everything the Mongo adapter does differently because of FerretDB v1 (SQLite backend, seen with 1.24), our test
// server: it serves a filter of `_id` alone by index and scans the whole collection for any other filter, its
// `update` command costs time in proportion to the collection even for `{_id}`, it applies no conditional update
// atomically, and it reports unique-index violations on update as SQLite's text. On MongoDB every choice below is
// either the natural one or gives the same result. (One accommodation is for mongo-java-server, our other test
// server: the upsert token in writeById.)
import { randomUUID } from 'node:crypto';
import type { Connection, Model, QueryFilter, UpdateQuery, mongo } from 'mongoose';

/**
 * How a write guards against a concurrent one. `filter` (MongoDB): the update's filter pins the fields the caller
 * read, atomically. `read-check-write` (FerretDB v1): the filter is `_id` alone and the check is the read just
 * before; sessions of one device are serialised by the gateway's device lock either way.
 */
export type ConditionalWrites = 'filter' | 'read-check-write';

/** `read-check-write` when the server says it is FerretDB (buildInfo's ferretdbVersion). */
export async function detectConditionalWrites(conn: Connection): Promise<ConditionalWrites> {
  const info = await conn.getClient().db('admin').command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? 'read-check-write' : 'filter';
}

/**
 * One document by `_id` through findAndModify, on every server: FerretDB serves that by index, where its `update`
 * command with the same filter costs time in proportion to the collection. Same result on MongoDB.
 */
export async function writeById<T>(
  model: Model<T>,
  id: string,
  update: Record<string, unknown>,
  upsert = false,
): Promise<{ matched: boolean; upserted: boolean; after: T | null }> {
  const collection = model.collection as unknown as mongo.Collection<{ _id: string }>;
  // mongo-java-server's findAndModify reply has no lastErrorObject: an upsert then also stamps a token of this
  // call on insert, and finding it in the document says this call created it.
  const token = upsert ? randomUUID() : undefined;
  const write = token === undefined ? update : { ...update, $setOnInsert: { ...(update.$setOnInsert as object | undefined), [INSERTED_BY]: token } };
  const res = await collection.findOneAndUpdate({ _id: id }, write, { upsert, returnDocument: 'after', includeResultMetadata: true });
  const after = res.value as (T & { [INSERTED_BY]?: string }) | null;
  if (res.lastErrorObject === undefined) {
    const upserted = token !== undefined && after?.[INSERTED_BY] === token;
    return { matched: after !== null && !upserted, upserted, after };
  }
  return { matched: res.lastErrorObject.updatedExisting === true, upserted: res.lastErrorObject.upserted !== undefined, after };
}

/** Field of the insert token (see writeById); the record mappers ignore it. */
const INSERTED_BY = '_insertedBy';

/**
 * A write by `_id` whose result the caller does not need (a parameter tree): findAndModify sends the whole document
 * back, which FerretDB needs (see writeById) and MongoDB does not: there, a plain updateOne. true: it matched.
 */
export async function updateById<T>(model: Model<T>, id: string, update: Record<string, unknown>, mode: ConditionalWrites, upsert = false): Promise<boolean> {
  if (mode === 'read-check-write') return (await writeById(model, id, update, upsert)).matched;
  const collection = model.collection as unknown as mongo.Collection<{ _id: string }>;
  return (await collection.updateOne({ _id: id }, update, { upsert })).matchedCount === 1;
}

/** `$set` of `fields` unless the document changed since the caller read `guard` from it (see ConditionalWrites). true: written. */
export async function writeIfUnchanged<D>(model: Model<D>, id: string, guard: Record<string, unknown>, fields: object, mode: ConditionalWrites): Promise<boolean> {
  if (mode === 'read-check-write') return (await writeById(model, id, { $set: fields })).matched;
  return (await model.updateOne({ _id: id, ...guard } as QueryFilter<D>, { $set: fields } as UpdateQuery<D>)).matchedCount === 1;
}

/**
 * FerretDB's form of a duplicate key on update: a generic error carrying its backend's text, no code 11000
 * (SQLite: "UNIQUE constraint failed"; PostgreSQL: "duplicate key value violates unique constraint", SQLSTATE 23505).
 */
export function isFerretDbUniqueViolation(err: object): boolean {
  if (!('message' in err) || typeof err.message !== 'string') return false;
  return err.message.includes('UNIQUE constraint failed') || err.message.includes('SQLSTATE 23505');
}
