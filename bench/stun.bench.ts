// STUN benchmark (prints figures; not a test): Binding Requests per second one connreq-stun process answers. The
// process runs its own main.js on real NATS and Redis from @acs/testkit; this script plays the registry (answers
// `registry.stun.device`) and drives load from generator processes, each with its UDP sockets on loopback keeping a
// window of requests outstanding. Every request is a TR-111 keep-alive of a known device: RFC 3489 format with
// CONNECTION-REQUEST-BINDING and USERNAME (and MESSAGE-INTEGRITY with --auth), so the server does its full work:
// decode, the cached device lookup, integrity, the answer, and the binding (written once per third of its TTL).
// Run: npm run bench:stun -- [--devices 10000] [--sockets 400] [--window 4] [--generators 2] [--seconds 10] [--auth]
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNatsBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { stunPasswordFor } from '@acs/connreq-stun';
import { encodeBindingRequest } from '@acs/stun';
import { startNats, startRedis } from '@acs/testkit';
import { sampleProcess } from './support/processes.js';
import { startConnreqStun } from './support/poke-stack.js';

const SELF = fileURLToPath(import.meta.url);
const SECRET = 'bench-stun-secret-0123456789abcdef';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    sockets: { type: 'string', default: '400' },
    window: { type: 'string', default: '4' },
    generators: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    auth: { type: 'boolean', default: false },
    // Internal: this process is one load generator.
    generator: { type: 'string' },
    port: { type: 'string' },
  },
});

/** Generator: `sockets` sockets, each cycling over its share of the devices, `window` requests in flight each. */
async function generate(): Promise<void> {
  const [first, count, sockets] = (args.generator ?? '').split(',').map(Number) as [number, number, number];
  const port = Number(args.port);
  const window = Number(args.window);
  let answered = 0;
  let sent = 0;
  const all: Socket[] = [];
  for (let s = 0; s < sockets; s++) {
    const socket = createSocket('udp4');
    const mine: Buffer[] = [];
    // Requests pre-encoded per device: the generator must not be the bottleneck.
    for (let d = first + s; d < first + count; d += sockets) {
      const username = `BENCH-${String(d).padStart(7, '0')}`;
      mine.push(encodeBindingRequest({ legacy: true, connectionRequestBinding: true, username, ...(args.auth ? { password: stunPasswordFor(SECRET, username) } : {}) }));
    }
    let next = 0;
    let inFlight = 0;
    let lastAnswer = performance.now();
    const fire = () => {
      const request = mine[next++ % mine.length]!;
      inFlight++;
      sent++;
      socket.send(request, port, '127.0.0.1');
    };
    socket.on('message', () => {
      answered++;
      inFlight--;
      lastAnswer = performance.now();
      fire();
    });
    // A lost datagram shrinks the window: refill it when a socket has heard nothing for 200 ms.
    setInterval(() => {
      if (performance.now() - lastAnswer < 200) return;
      inFlight = 0;
      while (inFlight < window) fire();
    }, 200).unref();
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    all.push(socket);
    for (let i = 0; i < window; i++) fire();
  }
  setInterval(() => process.send?.({ answered, sent }), 250);
  process.on('disconnect', () => process.exit(0));
}

function startGenerators(port: number, devices: number, sockets: number, generators: number): ChildProcess[] {
  const per = Math.ceil(devices / generators);
  return Array.from({ length: generators }, (_, g) => {
    const first = g * per;
    const count = Math.min(per, devices - first);
    const generatorArgs = [SELF, '--generator', `${first},${count},${Math.ceil(sockets / generators)}`, '--port', String(port), '--window', args.window as string, ...(args.auth ? ['--auth'] : [])];
    return spawn(process.execPath, [...process.execArgv, ...generatorArgs], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  });
}

async function main(): Promise<void> {
  const devices = Number(args.devices);
  const sockets = Number(args.sockets);
  const generators = Number(args.generators);
  const seconds = Number(args.seconds);
  const warmup = Number(args.warmup);
  if (!Number.isInteger(devices) || devices < 1 || devices > 1_000_000) throw new RangeError('--devices: 1..1000000');
  if (!Number.isInteger(sockets) || sockets < 1 || sockets > 5_000 || sockets > devices) throw new RangeError('--sockets: 1..5000, at most --devices');
  if (!Number.isInteger(generators) || generators < 1 || generators > 16) throw new RangeError('--generators: 1..16');
  if (!(seconds > 0 && seconds <= 120) || !(warmup >= 0 && warmup <= 60)) throw new RangeError('--seconds 1..120, --warmup 0..60');

  const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform} ${process.arch}`;
  const [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const subjects = createSubjects();
  const registry = await createNatsBus({ servers: nats.url, name: 'bench-registry' });
  let lookups = 0;
  // The registry's answer for every bench device; connreq-stun caches it (5 min), so this runs once per device.
  registry.serve(subjects.registry.stunDevice, (msg) => {
    lookups++;
    const { username } = JSON.parse(Buffer.from(msg.data).toString()) as { username: string };
    return { deviceId: username, requireAuth: args.auth === true, maximumKeepAlivePeriod: 60 };
  });
  await registry.flush();
  // STUN_BENCH_PROFILE=<dir>: a V8 CPU profile of connreq-stun lands there when it stops.
  const profile = process.env.STUN_BENCH_PROFILE;
  const server = await startConnreqStun(nats.url, redis.url, { STUN_SECRET: SECRET }, profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []);
  const children = startGenerators(server.stunPort, devices, sockets, generators);
  const totals = new Map<ChildProcess, { answered: number; sent: number }>();
  for (const child of children) child.on('message', (m) => totals.set(child, m as { answered: number; sent: number }));
  const sum = () => [...totals.values()].reduce((a, t) => ({ answered: a.answered + t.answered, sent: a.sent + t.sent }), { answered: 0, sent: 0 });
  try {
    await new Promise((resolve) => setTimeout(resolve, warmup * 1_000));
    const before = { ...sum(), cpu: sampleProcess(server.child.pid).cpuSeconds, at: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const after = { ...sum(), cpu: sampleProcess(server.child.pid).cpuSeconds, at: performance.now(), rss: sampleProcess(server.child.pid).rssBytes };
    const wall = (after.at - before.at) / 1_000;
    const answered = after.answered - before.answered;
    const sent = after.sent - before.sent;
    const cpu = after.cpu - before.cpu;
    process.stdout.write(
      [
        `ACS STUN benchmark — ${new Date().toISOString()}`,
        `machine: ${machine}`,
        `connreq-stun: its own process (main.js), NATS + Redis; ${devices} devices known (registry lookups: ${lookups}), ${args.auth ? 'MESSAGE-INTEGRITY required and sent' : 'no integrity'}; RFC 3489 keep-alives with CONNECTION-REQUEST-BINDING`,
        `load: ${generators} generator processes, ${sockets} sockets, ${args.window} outstanding per socket; ${warmup} s warm-up, then ${seconds} s measured`,
        `binding requests answered: ${answered} in ${wall.toFixed(1)} s = ${Math.round(answered / wall)} per second (sent ${sent}, unanswered ${Math.max(0, sent - answered)})`,
        `connreq-stun CPU: ${cpu.toFixed(2)} s over the window = ${((cpu / wall) * 100).toFixed(0)} % of one core, ${((cpu / Math.max(1, answered)) * 1e6).toFixed(1)} µs per request; RSS ${(after.rss / 2 ** 20).toFixed(0)} MB`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const child of children) child.kill();
    await server.stop();
    await registry.close();
    await Promise.all([nats.stop(), redis.stop()]);
  }
}

if (args.generator !== undefined) await generate();
else {
  await main();
  process.exit(0);
}
