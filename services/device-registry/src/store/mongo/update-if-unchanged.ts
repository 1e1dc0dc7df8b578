import type { Model } from 'mongoose';
import { writeIfUnchanged, type ConditionalWrites } from './ferretdb-workarounds.js';
import { withoutId } from './schemas.js';

// Optimistic retries of one read-compute-write before reporting the race as lost.
const ATTEMPTS = 5;

/**
 * Read, compute, write-if-unchanged: the write is guarded by the fields `guard` names, so a concurrent write makes
 * ours read again instead of overwriting it. null: no such record (or the race was lost every time); `after` null:
 * `step` left the record as it was.
 */
export async function updateIfUnchanged<D extends { _id: string }, R extends { id: string }>(
  model: Model<D>,
  id: string,
  mode: ConditionalWrites,
  rule: { toRecord: (doc: D) => R; step: (record: R) => R | null; guard: (record: R) => Record<string, unknown> },
): Promise<{ before: R; after: R | null } | null> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const doc = await model.findById(id).lean<D>();
    if (!doc) return null;
    const before = rule.toRecord(doc);
    const after = rule.step(before);
    if (!after) return { before, after: null };
    const { _id, ...fields } = withoutId(after);
    if (await writeIfUnchanged(model, _id, rule.guard(before), fields, mode)) return { before, after };
  }
  return null;
}
