import { makeFault, validateValue } from '@acs/cwmp';
import type {
  AddObjectResponse,
  DeleteObjectResponse,
  Fault,
  GetParameterAttributesResponse,
  GetParameterNamesResponse,
  GetParameterValuesResponse,
  NotificationValue,
  ParameterAttributeStruct,
  ParameterInfoStruct,
  ParameterValueStruct,
  SetParameterAttributesResponse,
  SetParameterAttributesStruct,
  SetParameterValuesFaultStruct,
  SetParameterValuesResponse,
  XsdType,
} from '@acs/cwmp';
import type { ModelObject } from './model-file.js';

/** One node of a model as loaded: objects end with '.', parameters do not. */
export type NodeInit =
  | { kind: 'object'; name: string; writable: boolean; table?: boolean }
  | {
      kind: 'parameter';
      name: string;
      type: XsdType;
      writable: boolean;
      value: string;
      forcedInform?: boolean;
      notification?: NotificationValue;
      accessList?: string[];
    };

interface ParameterNode {
  kind: 'parameter';
  name: string;
  type: XsdType;
  writable: boolean;
  value: string;
  forcedInform: boolean;
  notification: NotificationValue;
  accessList: string[];
}
interface ObjectNode {
  kind: 'object';
  name: string;
  writable: boolean;
  table: boolean;
}
type Node = ParameterNode | ObjectNode;

/** What a model is built from: its nodes and, optionally, schema definitions used as AddObject templates. */
export interface DataModelSpec {
  root: string;
  nodes: NodeInit[];
  /** Object definitions by BBF path (`{i}` for instance numbers). Without them AddObject copies an existing instance. */
  objects?: ModelObject[];
}

/** Who changed a parameter: the ACS (SPV) or the device itself (a LAN-side change, a new address...). */
export type ChangeSource = 'acs' | 'local';

export interface ParameterChange {
  name: string;
  value: string;
  source: ChangeSource;
}

/**
 * The TR-069 data-model engine of one CPE: pure, synchronous, no I/O. Each RPC method
 * returns the CPE's response or a CWMP Fault as a value (cwmp-protocol.md §3.2).
 */
export interface DataModel {
  readonly root: string;
  /** Number of parameters (objects excluded). */
  readonly size: number;
  has(name: string): boolean;
  getValue(name: string): string | undefined;
  getType(name: string): XsdType | undefined;
  /** Names of every node (objects with trailing '.') in tree order. */
  names(): string[];
  /**
   * A change made by the device itself: notifications apply (passive: value rides in the next
   * Inform; active: `4 VALUE CHANGE`). Returns false for an unknown parameter or invalid value.
   */
  setLocal(name: string, value: string): boolean;
  getParameterValues(names: string[]): GetParameterValuesResponse | Fault;
  setParameterValues(list: ParameterValueStruct[], parameterKey: string): SetParameterValuesResponse | Fault;
  getParameterNames(path: string, nextLevel: boolean): GetParameterNamesResponse | Fault;
  setParameterAttributes(list: SetParameterAttributesStruct[]): SetParameterAttributesResponse | Fault;
  getParameterAttributes(names: string[]): GetParameterAttributesResponse | Fault;
  addObject(objectName: string, parameterKey: string): AddObjectResponse | Fault;
  deleteObject(objectName: string, parameterKey: string): DeleteObjectResponse | Fault;
  /** Parameters for Inform.ParameterList: forced-inform ones plus changed ones with notification 1/2. */
  informParameters(): ParameterValueStruct[];
  /** True when a change to an active-notification parameter awaits delivery. */
  hasActiveChange(): boolean;
  /** The Inform carrying the changes was answered: forget them (only `names` when given). */
  clearChanges(names?: string[]): void;
  /** Back to the values the model was built with (FactoryReset). */
  reset(): void;
  /** Called after every applied change. Returns an unsubscribe function. */
  onChange(listener: (change: ParameterChange) => void): () => void;
}

const UNKNOWN_TIME = '0001-01-01T00:00:00Z';

export function defaultValue(type: XsdType): string {
  switch (type) {
    case 'int':
    case 'unsignedInt':
    case 'long':
    case 'unsignedLong':
    case 'decimal':
      return '0';
    case 'boolean':
      return 'false';
    case 'dateTime':
      return UNKNOWN_TIME;
    default:
      return '';
  }
}

/** `Device.IP.Interface.3.IPv4Address.1.` -> `Device.IP.Interface.{i}.IPv4Address.{i}.` */
export function canonicalPath(path: string): string {
  return path.replace(/(?<=\.)\d+(?=\.)/g, '{i}');
}

function parentOf(name: string): string {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const i = trimmed.lastIndexOf('.');
  return i < 0 ? '' : trimmed.slice(0, i + 1);
}

function isInstanceSegment(seg: string): boolean {
  return /^\d+$/.test(seg);
}

/**
 * Expands object definitions into nodes: every object, its parameters at their defaults, and
 * `instances[tablePath]` instances of each table (0 when absent).
 */
export function expandObjects(
  objects: ModelObject[],
  root: string,
  instances: Record<string, number> = {},
): NodeInit[] {
  const out: NodeInit[] = [];
  const rootDef = objects.find((o) => o.path === root);
  if (!rootDef) throw new Error(`model has no definition for ${root}`);
  instantiate(objects, rootDef, root, instances, out);
  return out;
}

function instantiate(
  objects: ModelObject[],
  def: ModelObject,
  concrete: string,
  instances: Record<string, number>,
  out: NodeInit[],
): void {
  out.push({ kind: 'object', name: concrete, writable: Boolean(def.table && def.writable) });
  for (const p of def.parameters) {
    out.push({
      kind: 'parameter',
      name: concrete + p.name,
      type: p.type,
      writable: p.writable,
      value: p.default ?? defaultValue(p.type),
      ...(p.forcedInform ? { forcedInform: true } : {}),
      ...(p.activeNotify ? { notification: 2 as const } : {}),
    });
  }
  for (const child of objects) {
    if (!child.path.startsWith(def.path) || child.path === def.path) continue;
    const rest = child.path.slice(def.path.length);
    if (/^[^.{}]+\.$/.test(rest)) {
      instantiate(objects, child, concrete + rest, instances, out);
    } else if (/^[^.{}]+\.\{i\}\.$/.test(rest)) {
      const table = concrete + rest.slice(0, -'{i}.'.length);
      out.push({ kind: 'object', name: table, writable: child.writable, table: true });
      const count = instances[table] ?? 0;
      for (let i = 1; i <= count; i++) instantiate(objects, child, `${table}${i}.`, instances, out);
    }
  }
}

function fault(code: number, message?: string, spv?: SetParameterValuesFaultStruct[]): Fault {
  return makeFault(code, message, spv);
}

/** Builds the engine over a model's nodes. The initial nodes are kept for `reset()`. */
export function createDataModel(spec: DataModelSpec): DataModel {
  const root = spec.root;
  const objectDefs = new Map((spec.objects ?? []).map((o) => [o.path, o]));
  let nodes = new Map<string, Node>();
  // A loaded model keeps its file order until the first AddObject puts it in tree order; from then
  // on a new instance is spliced in after its table's subtree instead of sorting the whole model again.
  let inTreeOrder = false;
  const nextInstance = new Map<string, number>();
  const changed = new Map<string, ChangeSource>();
  const listeners = new Set<(c: ParameterChange) => void>();

  const toNode = (n: NodeInit): Node =>
    n.kind === 'object'
      ? { kind: 'object', name: n.name, writable: n.writable, table: n.table ?? false }
      : {
          kind: 'parameter',
          name: n.name,
          type: n.type,
          writable: n.writable,
          value: n.value,
          forcedInform: n.forcedInform ?? false,
          notification: n.notification ?? 0,
          accessList: n.accessList ?? [],
        };

  const build = () => {
    nodes = new Map();
    inTreeOrder = false;
    nextInstance.clear();
    changed.clear();
    for (const n of spec.nodes) nodes.set(n.name, toNode(n));
    // Intermediate objects missing from a dump (CSV rows are sometimes sparse) are implied.
    for (const name of [...nodes.keys()]) {
      for (let p = parentOf(name); p !== '' && !nodes.has(p); p = parentOf(p)) {
        nodes.set(p, { kind: 'object', name: p, writable: false, table: false });
      }
    }
    for (const n of nodes.values()) {
      if (n.kind !== 'object') continue;
      const segs = n.name.slice(0, -1).split('.');
      const last = segs[segs.length - 1] ?? '';
      if (isInstanceSegment(last)) {
        const table = parentOf(n.name);
        const t = nodes.get(table);
        if (t && t.kind === 'object') t.table = true;
        nextInstance.set(table, Math.max(nextInstance.get(table) ?? 1, Number(last) + 1));
      }
    }
  };
  build();

  const sortedNames = () => [...nodes.keys()];

  const below = (prefix: string): Node[] => {
    const out: Node[] = [];
    for (const [name, n] of nodes) if (name.startsWith(prefix)) out.push(n);
    return out;
  };

  const emit = (change: ParameterChange) => {
    for (const l of listeners) l(change);
  };

  const applyValue = (node: ParameterNode, value: string, source: ChangeSource) => {
    if (node.value === value) return;
    node.value = value;
    // TR-069 notifications are for changes not made by the ACS itself (cwmp-protocol.md §11).
    if (source === 'local' && node.notification >= 1) changed.set(node.name, source);
    emit({ name: node.name, value, source });
  };

  const parameterKeyName = `${root}ManagementServer.ParameterKey`;
  const setParameterKey = (key: string) => {
    const n = nodes.get(parameterKeyName);
    if (n && n.kind === 'parameter') applyValue(n, key, 'acs');
  };

  const numberOfEntries = (table: string) => {
    const parent = parentOf(table);
    const tableName = table.slice(parent.length, -1);
    const counter = nodes.get(`${parent}${tableName}NumberOfEntries`);
    if (!counter || counter.kind !== 'parameter') return;
    let count = 0;
    for (const name of nodes.keys()) {
      if (name.startsWith(table) && /^\d+\.$/.test(name.slice(table.length))) count++;
    }
    applyValue(counter, String(count), 'acs');
  };

  /** Nodes for a new instance: from the schema definition, else a copy of an existing instance. */
  const templateFor = (table: string, instance: string): NodeInit[] => {
    const def = objectDefs.get(`${canonicalPath(table)}{i}.`);
    if (def) return expandObjects([...objectDefs.values()], def.path, {}).map((n) => rename(n, def.path, instance));
    const pattern = `${canonicalPath(table)}{i}.`;
    let sample: string | undefined;
    for (const [name, n] of nodes) {
      if (n.kind === 'object' && canonicalPath(name) === pattern) {
        sample = name;
        break;
      }
    }
    if (!sample) return [{ kind: 'object', name: instance, writable: true }];
    const out: NodeInit[] = [];
    for (const n of below(sample)) {
      const rel = n.name.slice(sample.length);
      // Nested tables start empty in a new instance.
      if (/(^|\.)\d+\./.test(rel)) continue;
      const name = instance + rel;
      if (n.kind === 'object') out.push({ kind: 'object', name, writable: n.name === sample ? true : n.writable, table: n.table });
      else out.push({ kind: 'parameter', name, type: n.type, writable: n.writable, value: defaultValue(n.type) });
    }
    return out;
  };

  const rename = (n: NodeInit, fromPrefix: string, toPrefix: string): NodeInit => {
    // fromPrefix is a pattern path: its own `{i}` segments map onto the concrete instance path.
    const name = toPrefix + n.name.slice(fromPrefix.length);
    return n.kind === 'object' ? { ...n, name, writable: n.name === fromPrefix ? true : n.writable } : { ...n, name };
  };

  const model: DataModel = {
    root,
    get size() {
      let n = 0;
      for (const node of nodes.values()) if (node.kind === 'parameter') n++;
      return n;
    },
    has: (name) => nodes.has(name),
    getValue: (name) => {
      const n = nodes.get(name);
      return n?.kind === 'parameter' ? n.value : undefined;
    },
    getType: (name) => {
      const n = nodes.get(name);
      return n?.kind === 'parameter' ? n.type : undefined;
    },
    names: sortedNames,

    setLocal(name, value) {
      const n = nodes.get(name);
      if (!n || n.kind !== 'parameter' || !validateValue(n.type, value)) return false;
      applyValue(n, value, 'local');
      return true;
    },

    getParameterValues(names) {
      const out: ParameterValueStruct[] = [];
      for (const raw of names) {
        const name = raw.trim();
        const prefix = name === '' ? root : name;
        if (prefix.endsWith('.')) {
          if (!nodes.has(prefix)) return fault(9005, `Invalid parameter name: ${name}`);
          for (const n of below(prefix)) if (n.kind === 'parameter') out.push({ name: n.name, value: n.value, type: n.type });
        } else {
          const n = nodes.get(prefix);
          if (!n || n.kind !== 'parameter') return fault(9005, `Invalid parameter name: ${name}`);
          out.push({ name: n.name, value: n.value, type: n.type });
        }
      }
      return { name: 'GetParameterValuesResponse', parameterList: out };
    },

    setParameterValues(list, parameterKey) {
      const faults: SetParameterValuesFaultStruct[] = [];
      const seen = new Set<string>();
      for (const pv of list) {
        const n = nodes.get(pv.name);
        const add = (code: number, msg: string) => faults.push({ parameterName: pv.name, faultCode: code, faultString: msg });
        if (!n || n.kind !== 'parameter') add(9005, 'Invalid parameter name');
        else if (!n.writable) add(9008, 'Attempt to set a non-writable parameter');
        else if (pv.type !== n.type || !validateValue(n.type, pv.value)) {
          add(9007, `Invalid parameter value: expected xsd:${n.type}`);
        } else if (seen.has(pv.name)) add(9003, 'Parameter named twice');
        seen.add(pv.name);
      }
      if (faults.length > 0) return fault(9003, 'Invalid arguments', faults);
      // Atomic: everything validated before anything is applied.
      for (const pv of list) {
        const n = nodes.get(pv.name) as ParameterNode;
        applyValue(n, n.type === 'string' ? pv.value : pv.value.trim(), 'acs');
      }
      setParameterKey(parameterKey);
      return { name: 'SetParameterValuesResponse', status: 0 };
    },

    getParameterNames(path, nextLevel) {
      const p = path.trim();
      const info = (n: Node): ParameterInfoStruct => ({ name: n.name, writable: n.writable });
      if (p === '') {
        if (nextLevel) return { name: 'GetParameterNamesResponse', parameterList: [{ name: root, writable: false }] };
        return { name: 'GetParameterNamesResponse', parameterList: below(root).map(info) };
      }
      const node = nodes.get(p);
      if (!node) return fault(9005, `Invalid parameter name: ${p}`);
      if (node.kind === 'parameter') {
        // TR-069 A.3.2.3: NextLevel true is only meaningful for a partial path.
        if (nextLevel) return fault(9003, 'NextLevel true requires a partial path');
        return { name: 'GetParameterNamesResponse', parameterList: [info(node)] };
      }
      if (!nextLevel) return { name: 'GetParameterNamesResponse', parameterList: below(p).map(info) };
      const children = below(p).filter((n) => {
        const rest = n.name.slice(p.length);
        return rest !== '' && (/^[^.]+$/.test(rest) || /^[^.]+\.$/.test(rest));
      });
      return { name: 'GetParameterNamesResponse', parameterList: children.map(info) };
    },

    setParameterAttributes(list) {
      const targets: ParameterNode[][] = [];
      for (const s of list) {
        const name = s.name.trim() === '' ? root : s.name.trim();
        const node = nodes.get(name);
        if (!node || (node.kind === 'object' && !name.endsWith('.'))) return fault(9005, `Invalid parameter name: ${s.name}`);
        if (s.notificationChange && s.notification > 2) {
          // Lightweight notifications (Annex M) are not simulated.
          return fault(9009, `Notification ${s.notification} not supported`);
        }
        targets.push(node.kind === 'parameter' ? [node] : below(name).filter((n): n is ParameterNode => n.kind === 'parameter'));
      }
      list.forEach((s, i) => {
        for (const n of targets[i] ?? []) {
          if (s.notificationChange) n.notification = s.notification;
          if (s.accessListChange) n.accessList = [...s.accessList];
        }
      });
      return { name: 'SetParameterAttributesResponse' };
    },

    getParameterAttributes(names) {
      const out: ParameterAttributeStruct[] = [];
      for (const raw of names) {
        const name = raw.trim() === '' ? root : raw.trim();
        const node = nodes.get(name);
        if (!node || (node.kind === 'object' && !name.endsWith('.'))) return fault(9005, `Invalid parameter name: ${raw}`);
        const params = node.kind === 'parameter' ? [node] : below(name).filter((n): n is ParameterNode => n.kind === 'parameter');
        for (const n of params) out.push({ name: n.name, notification: n.notification, accessList: [...n.accessList] });
      }
      return { name: 'GetParameterAttributesResponse', parameterList: out };
    },

    addObject(objectName, parameterKey) {
      const table = nodes.get(objectName);
      if (!objectName.endsWith('.') || !table || table.kind !== 'object') return fault(9005, `Invalid object name: ${objectName}`);
      const isTable = table.table || objectDefs.has(`${canonicalPath(objectName)}{i}.`);
      if (!isTable || !table.writable) return fault(9005, `Not a writable multi-instance object: ${objectName}`);
      const instance = nextInstance.get(objectName) ?? 1;
      nextInstance.set(objectName, instance + 1);
      table.table = true;
      const path = `${objectName}${instance}.`;
      const fresh = templateFor(objectName, path).sort((a, b) => compareNames(a.name, b.name));
      for (const n of fresh) if (n.kind === 'object' && n.table) nextInstance.set(n.name, 1);
      const added = fresh.map(toNode);
      if (inTreeOrder) {
        // Instance numbers only grow: the new instance goes right after the table's last descendant.
        nodes = insertAfterSubtree(nodes, objectName, added);
      } else {
        for (const n of added) nodes.set(n.name, n);
        nodes = inNameOrder(nodes);
        inTreeOrder = true;
      }
      numberOfEntries(objectName);
      setParameterKey(parameterKey);
      return { name: 'AddObjectResponse', instanceNumber: instance, status: 0 };
    },

    deleteObject(objectName, parameterKey) {
      const node = nodes.get(objectName);
      const segs = objectName.slice(0, -1).split('.');
      const table = parentOf(objectName);
      const tableNode = nodes.get(table);
      if (
        !objectName.endsWith('.') ||
        !node ||
        node.kind !== 'object' ||
        !isInstanceSegment(segs[segs.length - 1] ?? '') ||
        !tableNode ||
        tableNode.kind !== 'object' ||
        !tableNode.writable
      ) {
        return fault(9005, `Invalid object name: ${objectName}`);
      }
      for (const name of [...nodes.keys()]) {
        if (name.startsWith(objectName)) {
          nodes.delete(name);
          changed.delete(name);
        }
      }
      numberOfEntries(table);
      setParameterKey(parameterKey);
      return { name: 'DeleteObjectResponse', status: 0 };
    },

    informParameters() {
      const out: ParameterValueStruct[] = [];
      for (const n of nodes.values()) {
        if (n.kind === 'parameter' && (n.forcedInform || changed.has(n.name))) out.push({ name: n.name, value: n.value, type: n.type });
      }
      return out;
    },
    hasActiveChange() {
      for (const name of changed.keys()) {
        const n = nodes.get(name);
        if (n?.kind === 'parameter' && n.notification === 2) return true;
      }
      return false;
    },
    clearChanges(names) {
      if (!names) return changed.clear();
      for (const n of names) changed.delete(n);
    },
    reset: build,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return model;
}

function insertAfterSubtree<T>(map: Map<string, T>, prefix: string, added: { name: string }[]): Map<string, T> {
  const out = new Map<string, T>();
  let inside = false;
  let done = false;
  const put = () => {
    for (const n of added) out.set(n.name, n as T);
    done = true;
  };
  for (const [name, node] of map) {
    const here = name.startsWith(prefix);
    if (inside && !here && !done) put();
    inside = here;
    out.set(name, node);
  }
  if (!done) put();
  return out;
}

function inNameOrder<T>(map: Map<string, T>): Map<string, T> {
  // Split once per name, not once per comparison.
  const keyed = [...map].map(([name, node]) => ({ name, node, segs: name.split('.') }));
  keyed.sort((a, b) => compareSegments(a.segs, b.segs));
  return new Map(keyed.map((k) => [k.name, k.node]));
}

/** Tree order: segment by segment, instance numbers numerically. */
export function compareNames(a: string, b: string): number {
  return compareSegments(a.split('.'), b.split('.'));
}

function compareSegments(sa: string[], sb: string[]): number {
  const len = Math.min(sa.length, sb.length);
  for (let i = 0; i < len; i++) {
    const x = sa[i] ?? '';
    const y = sb[i] ?? '';
    if (x === y) continue;
    if (x === '') return -1;
    if (y === '') return 1;
    if (isInstanceSegment(x) && isInstanceSegment(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}
