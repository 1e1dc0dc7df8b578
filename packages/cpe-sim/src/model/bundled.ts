import { readFileSync } from 'node:fs';
import { expandObjects, type DataModelSpec } from './data-model.js';
import { ModelError } from './errors.js';
import type { ModelFile } from './model-file.js';
import { fillTemplate, type ModelContext } from './templating.js';

/** Models shipped in `models/`: `tr181` (Device:2) and `tr098` (InternetGatewayDevice:1). */
export type BundledModelName = 'tr181' | 'tr098';
export const BUNDLED_MODELS: readonly BundledModelName[] = ['tr181', 'tr098'];

// Same relative location from src/model/ and dist/model/.
const MODELS_DIR = new URL('../../models/', import.meta.url);

const cache = new Map<BundledModelName, ModelFile>();

export function readModelFile(name: BundledModelName): ModelFile {
  const hit = cache.get(name);
  if (hit) return hit;
  if (!BUNDLED_MODELS.includes(name)) throw new ModelError('UNKNOWN_MODEL', `no bundled model ${String(name)}`);
  let file: ModelFile;
  try {
    file = JSON.parse(readFileSync(new URL(`${name}.json`, MODELS_DIR), 'utf8')) as ModelFile;
  } catch (cause) {
    throw new ModelError('UNREADABLE', `cannot read bundled model ${name}`, { cause });
  }
  cache.set(name, file);
  return file;
}

/** The spec of a bundled model for one CPE: objects expanded, factory values filled from `ctx`. */
export function bundledModelSpec(name: BundledModelName, ctx: ModelContext): DataModelSpec {
  const file = readModelFile(name);
  const nodes = expandObjects(file.objects, file.root, file.instances);
  const byName = new Map(nodes.map((n, i) => [n.name, i]));
  for (const [path, raw] of Object.entries(file.values)) {
    const i = byName.get(path);
    const node = i === undefined ? undefined : nodes[i];
    if (!node || node.kind !== 'parameter') throw new ModelError('UNKNOWN_PATH', `${name}: value for unknown parameter ${path}`);
    node.value = fillTemplate(raw, ctx);
  }
  return { root: file.root, nodes, objects: file.objects };
}
