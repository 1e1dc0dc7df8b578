// The named schemas: `components.schemas` of the OpenAPI document (openapi.ts). A schema module marks
// a schema with named(); ../schemas.ts then registers them all, in the order the document lists them
// (the registry's order is the document's, and module evaluation order is not that order).
import { z } from 'zod';

/** Named schemas, emitted under `components.schemas` in the OpenAPI document. */
export const schemaRegistry = z.registry<{ id: string }>();
/** Descriptions of named schemas, by id (toJSONSchema does not emit a custom registry's metadata). */
export const schemaDescriptions = new Map<string, string>();

const marked = new Map<z.ZodType, { id: string; description?: string }>();

/** Marks `schema` as the component `id`; registerComponents puts it in the registry. */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  marked.set(schema, description === undefined ? { id } : { id, description });
  return schema;
}

/** Registers the named schemas in `order`; a schema not named, or a named one left out, is an error. */
export function registerComponents(order: readonly z.ZodType[]): void {
  for (const schema of order) {
    const meta = marked.get(schema);
    if (!meta) throw new Error('registerComponents: a schema not marked with named()');
    marked.delete(schema);
    schemaRegistry.add(schema, { id: meta.id });
    if (meta.description !== undefined) schemaDescriptions.set(meta.id, meta.description);
  }
  if (marked.size > 0) throw new Error(`named schemas missing from registerComponents: ${[...marked.values()].map((m) => m.id).join(', ')}`);
}
