import type { Model, mongo } from 'mongoose';
import { StoreNotFoundError } from '../device-store.js';
import type { ParameterTree } from '../device-store.js';
import { byPath, inSubtree, missingInstancePaths } from '../parameter-paths.js';
import type { EpochMs, Parameter, ParameterUpdate } from '../types.js';
import { mongoOp } from './errors.js';
import { updateById, type ConditionalWrites } from './ferretdb-workarounds.js';
import type { DeviceDoc, ParameterTreeDoc, StoredParameter } from './schemas.js';

function toParameter(path: string, d: StoredParameter): Parameter {
  return {
    path,
    value: d.v ?? null,
    type: d.t ?? null,
    writable: d.w ?? null,
    object: d.o ?? path.endsWith('.'),
    notification: (d.n ?? null) as Parameter['notification'],
    accessList: d.a ?? null,
    readAt: d.r ?? null,
  };
}

/** The device's parameters in path order, those in the subtree of any of `prefixes` (undefined: all). */
function treeParameters(doc: ParameterTreeDoc | null, prefixes?: readonly string[]): Parameter[] {
  const out: Parameter[] = [];
  for (const [key, stored] of Object.entries(doc?.p ?? {})) {
    const path = unescapeKey(key);
    if (prefixes === undefined || prefixes.some((prefix) => inSubtree(path, prefix))) out.push(toParameter(path, stored));
  }
  return out.sort(byPath);
}

// Field names may hold neither `.` (a path separator to MongoDB) nor a leading `$`; `%` escapes itself.
function escapeKey(path: string): string {
  return path.replace(/[%.$\0]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function unescapeKey(key: string): string {
  return key.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `$set` paths for the fields an update carries; absent ones keep what is stored (or read as initial). */
function parameterSet(key: string, u: ParameterUpdate, readAt: EpochMs): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  const field = (name: keyof StoredParameter, value: unknown) => {
    if (value !== undefined) set[`p.${key}.${name}`] = value;
  };
  field('v', u.value);
  field('t', u.type);
  field('w', u.writable);
  field('o', u.object);
  field('n', u.notification);
  field('a', u.accessList);
  field('r', u.value === undefined ? undefined : readAt);
  if (Object.keys(set).length === 0) set[`p.${key}.e`] = true;
  return set;
}

/** ParameterTree on the `parameterTrees` collection: one document per device (see ParameterTreeDoc). */
export class MongoParameterTree implements ParameterTree {
  constructor(
    private readonly trees: Model<ParameterTreeDoc>,
    private readonly devices: Model<DeviceDoc>,
    private readonly conditionalWrites: ConditionalWrites,
  ) {}

  async upsertParameters(deviceId: string, updates: ParameterUpdate[], readAt: EpochMs): Promise<void> {
    return mongoOp(async () => {
      const set: Record<string, unknown> = {};
      // Later updates of one path win field by field, as applying them one after another would.
      for (const u of updates) Object.assign(set, parameterSet(escapeKey(u.path), u, readAt));
      // A device with a tree exists (deleteDevice drops the tree first); only a first write looks further.
      if (updates.length > 0 && (await this.write(deviceId, { $set: set }))) return;
      if (!(await this.devices.exists({ _id: deviceId }))) throw new StoreNotFoundError('device', deviceId);
      if (updates.length > 0) await this.write(deviceId, { $set: set }, true);
    });
  }

  async getParameters(deviceId: string, prefix?: string): Promise<Parameter[]> {
    return mongoOp(async () => treeParameters(await this.tree(deviceId), prefix ? [prefix] : undefined));
  }

  async deleteParameterSubtree(deviceId: string, prefix: string): Promise<number> {
    return mongoOp(async () => this.unsetPaths(deviceId, treeParameters(await this.tree(deviceId), [prefix]).map((p) => p.path)));
  }

  async pruneMissingInstances(deviceId: string, parentPath: string, presentPaths: string[]): Promise<number> {
    return mongoOp(async () => {
      // Validates parentPath before touching the database.
      missingInstancePaths(parentPath, presentPaths, []);
      const stored = treeParameters(await this.tree(deviceId), [parentPath]).map((p) => p.path);
      return this.unsetPaths(deviceId, missingInstancePaths(parentPath, presentPaths, stored));
    });
  }

  /** The parameters in the subtree of any of `prefixes` (undefined: all), in one read (listDevices' projection). */
  async parametersIn(deviceId: string, prefixes: readonly string[] | undefined): Promise<Parameter[]> {
    return treeParameters(await this.tree(deviceId), prefixes);
  }

  /** The device's whole tree, as its deletion takes it (see cascades.ts). */
  async deleteTree(deviceId: string): Promise<void> {
    await this.trees.deleteOne({ _id: deviceId });
  }

  private async tree(deviceId: string): Promise<ParameterTreeDoc | null> {
    return this.collection().findOne({ _id: deviceId });
  }

  // The driver's collection: updates address escaped field names under `p`, which mongoose need not cast.
  private collection(): mongo.Collection<ParameterTreeDoc> {
    return this.trees.collection as unknown as mongo.Collection<ParameterTreeDoc>;
  }

  /** true when the tree existed. */
  private async write(deviceId: string, update: Record<string, unknown>, upsert = false): Promise<boolean> {
    return updateById(this.trees, deviceId, update, this.conditionalWrites, upsert);
  }

  private async unsetPaths(deviceId: string, paths: string[]): Promise<number> {
    if (paths.length === 0) return 0;
    const unset: Record<string, ''> = {};
    for (const path of paths) unset[`p.${escapeKey(path)}`] = '';
    await this.write(deviceId, { $unset: unset });
    return paths.length;
  }
}
