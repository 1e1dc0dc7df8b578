import type { Model } from 'mongoose';
import type { CredentialFilter, CredentialStore } from '../device-store.js';
import { credentialChanges, credentialKey, newCredential, scopeId } from '../records.js';
import type { Credential, CredentialInput, CredentialPatch, CredentialScope, EpochMs } from '../types.js';
import { conflictOnDuplicate, mongoOp } from './errors.js';
import { findRecord, type CredentialDoc } from './schemas.js';

function toCredential(d: CredentialDoc): Credential {
  return {
    id: d._id,
    username: d.username,
    scope: d.scopeKind === 'device' ? { kind: 'device', deviceId: d.scopeId } : { kind: 'deviceType', deviceTypeId: d.scopeId },
    realm: d.realm,
    ha1: d.ha1,
    basicHash: d.basicHash,
    status: d.status,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** CredentialStore on the `credentials` collection; the scope is two fields so the unique index can cover it. */
export class MongoCredentialStore implements CredentialStore {
  constructor(private readonly credentials: Model<CredentialDoc>) {}

  async createCredential(input: CredentialInput, now: EpochMs): Promise<Credential> {
    const cred = newCredential(input, now);
    return mongoOp(async () => {
      await conflictOnDuplicate('credential', credentialKey(cred), () =>
        this.credentials.create({
          _id: cred.id,
          username: cred.username,
          scopeKind: cred.scope.kind,
          scopeId: scopeId(cred.scope),
          realm: cred.realm,
          ha1: cred.ha1,
          basicHash: cred.basicHash,
          status: cred.status,
          createdAt: cred.createdAt,
          updatedAt: cred.updatedAt,
        }),
      );
      return cred;
    });
  }

  async getCredential(id: string): Promise<Credential | null> {
    return mongoOp(() => findRecord(this.credentials, id, toCredential));
  }

  async findCredentialsByUsername(username: string): Promise<Credential[]> {
    return mongoOp(async () => (await this.credentials.find({ username }).sort({ _id: 1 }).lean<CredentialDoc[]>()).map(toCredential));
  }

  async listCredentials(filter: CredentialFilter = {}): Promise<Credential[]> {
    return mongoOp(async () => {
      const and: Record<string, unknown>[] = [];
      if (filter.deviceId !== undefined) and.push({ scopeKind: 'device', scopeId: filter.deviceId });
      if (filter.deviceTypeId !== undefined) and.push({ scopeKind: 'deviceType', scopeId: filter.deviceTypeId });
      if (filter.username !== undefined) and.push({ username: filter.username });
      const docs = await this.credentials
        .find(and.length ? { $and: and } : {})
        .sort({ username: 1, _id: 1 })
        .lean<CredentialDoc[]>();
      return docs.map(toCredential);
    });
  }

  async updateCredential(id: string, patch: CredentialPatch, now: EpochMs): Promise<Credential | null> {
    return mongoOp(async () => {
      const doc = await this.credentials.findOneAndUpdate({ _id: id }, { $set: credentialChanges(patch, now) }, { returnDocument: 'after' }).lean<CredentialDoc>();
      return doc ? toCredential(doc) : null;
    });
  }

  async deleteCredential(id: string): Promise<boolean> {
    return mongoOp(async () => (await this.credentials.deleteOne({ _id: id })).deletedCount === 1);
  }

  /** Every credential of one scope, as a device's or a type's deletion takes them (see cascades.ts). */
  async deleteScope(kind: CredentialScope['kind'], id: string): Promise<void> {
    await this.credentials.deleteMany({ scopeKind: kind, scopeId: id });
  }
}
