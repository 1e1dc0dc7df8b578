// Reads V8 .cpuprofile files (node --cpu-prof): self time per function, and per area of the ACS.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  where: string;
  area: string;
  selfMs: number;
}

/** First matching rule names the area of a function, by its script URL (or V8's pseudo-functions). */
const AREAS: [string, RegExp][] = [
  ['idle', /^\((idle|program)\)$/],
  ['GC', /^\(garbage collector\)$/],
  ['XML parse', /saxes|xmlchars|\/cwmp\/dist\/(xml|decode)\.js/],
  ['XML build', /\/cwmp\/dist\/encode\.js/],
  ['validation', /zod|\/contracts\/dist\//],
  ['store driver', /mongodb|mongoose|bson|better-sqlite3|\/store\//],
  ['crypto', /node:crypto|scrypt|http-auth-utils/],
  ['logging', /pino|sonic-boom|thread-stream/],
  ['bus', /@nats-io|nats|\/bus\/dist\//],
  ['kv', /ioredis|redis-parser|\/kv\/dist\//],
  ['HTTP', /node:_http|node:http|express|body-parser|raw-body|undici/],
  ['telemetry', /@opentelemetry/],
  ['ACS code', /\/(services|apps|packages)\//],
  ['node internals', /^node:/],
];

function areaOf(fn: string, url: string): string {
  for (const [area, re] of AREAS) if (re.test(url) || re.test(fn)) return area;
  return url === '' ? 'native / V8' : 'other';
}

export function readProfiles(dir: string): CpuProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
}

/** Self time of every function in `profiles`, merged by name and place, most expensive first. */
export function selfTimes(profiles: CpuProfile[]): FunctionCost[] {
  const costs = new Map<string, FunctionCost>();
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const node = byId.get(id);
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      const where = url === '' ? '' : `${url.replace(/^file:\/\/.*?\/(node_modules|services|packages|apps)\//, '$1/')}:${lineNumber + 1}`;
      const key = `${name}@${where}`;
      const cost = costs.get(key) ?? { name, where, area: areaOf(name, url), selfMs: 0 };
      cost.selfMs += (p.timeDeltas[i] ?? 0) / 1000;
      costs.set(key, cost);
    });
  }
  return [...costs.values()].sort((a, b) => b.selfMs - a.selfMs);
}

export function byArea(costs: FunctionCost[]): { area: string; selfMs: number }[] {
  const areas = new Map<string, number>();
  for (const c of costs) areas.set(c.area, (areas.get(c.area) ?? 0) + c.selfMs);
  return [...areas].map(([area, selfMs]) => ({ area, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
}
