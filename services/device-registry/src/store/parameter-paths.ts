import { StoreValidationError } from './device-store.js';

/**
 * The subtree a partial path addresses: the name itself plus everything below `name.`.
 * `Device.IP.Interface.1` and `Device.IP.Interface.1.` both address instance 1 and never 10.
 */
export function subtreeBase(prefix: string): string {
  return prefix.endsWith('.') ? prefix : `${prefix}.`;
}

/** Path order (code units, as SQLite and MongoDB compare strings): the order every parameter listing is in. */
export function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export function inSubtree(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(subtreeBase(prefix));
}

/** The first name segment of `path` below `parentPath` (which ends in `.`); null when not below it. */
export function childSegment(parentPath: string, path: string): string | null {
  if (!path.startsWith(parentPath) || path.length === parentPath.length) return null;
  const rest = path.slice(parentPath.length);
  const dot = rest.indexOf('.');
  return dot === -1 ? rest : rest.slice(0, dot);
}

/** Paths of `stored` below `parentPath` whose child segment the CPE no longer lists. */
export function missingInstancePaths(parentPath: string, presentPaths: readonly string[], stored: readonly string[]): string[] {
  if (!parentPath.endsWith('.')) throw new StoreValidationError(`parentPath must be an object path ending in ".": ${parentPath}`);
  const present = new Set<string>();
  for (const p of presentPaths) {
    const seg = childSegment(parentPath, p);
    if (seg !== null) present.add(seg);
  }
  return stored.filter((p) => {
    const seg = childSegment(parentPath, p);
    return seg !== null && !present.has(seg);
  });
}
