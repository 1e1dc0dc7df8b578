// A real NAT for end-to-end tests, built from Linux network namespaces (root only):
//
//   root namespace (the ACS)            router namespace                      cpe namespace (the CPEs)
//   <acs>/30 ─── veth ─── <public>/30 [masquerade, forward: out any, in established only] 192.168.213.1/24 ─── veth ─── 192.168.213.10/24
//
// The root namespace gets only the /30 of its veth: it has no route to 192.168.213.0/24, so the ACS can never reach a
// CPE's private address, exactly as across the internet. The "public" /30 is taken from 198.18.0.0/15 (RFC 2544
// benchmarking: routed nowhere, and public to the registry's address rules, unlike 10/8, which it counts as private).
// Every name carries a random suffix and this process's pid, so runs at the same time never touch each other's, and
// a run's leftovers (a killed jest) are recognised by their dead pid and removed by the next run.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const NETNS_PREFIX = 'acsnat';
export const PRIVATE_SUBNET = '192.168.213.0/24';
export const ROUTER_LAN_ADDRESS = '192.168.213.1';
export const CPE_ADDRESS = '192.168.213.10';
/** UDP flows leaving the router's public interface are mapped to source ports in this range (never the CPE's own). */
export const NAT_UDP_PORTS = { min: 20_000, max: 29_999 } as const;

const INSTALL_HINT = 'apt-get install -y iproute2 nftables (scripts/install-test-servers.sh installs both)';
const COMMAND_TIMEOUT_MS = 15_000;

/** Something the machine refused; the message says what failed and how to fix it. */
export class NetnsUnavailableError extends Error {
  override readonly name = 'NetnsUnavailableError';
  readonly code = 'NETNS_UNAVAILABLE';
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell), bounded; rejects with its stderr. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { timeout: opts.timeoutMs ?? COMMAND_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${[cmd, ...args].join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** An executable by name, from PATH and the sbin directories (often left out of a non-login PATH). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function ipCommand(): string {
  const ip = findExecutable('ip');
  if (ip === undefined) throw new NetnsUnavailableError(`the NAT test needs iproute2's \`ip\` (network namespaces, veth pairs), which is not installed: ${INSTALL_HINT}`);
  return ip;
}

/** Root (or at least CAP_NET_ADMIN + CAP_SYS_ADMIN) and iproute2; throws a NetnsUnavailableError saying what is missing. */
export function checkNetnsPrerequisites(): { ip: string } {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new NetnsUnavailableError(
      `the NAT test creates network namespaces, veth pairs and nftables rules, which needs root (running as uid ${uid ?? 'unknown'}): run it as root, with iproute2 and nftables installed (${INSTALL_HINT})`,
    );
  }
  return { ip: ipCommand() };
}

interface Owner {
  suffix: string;
  pid: number;
}

function parseNamespace(name: string): Owner | undefined {
  const m = new RegExp(`^${NETNS_PREFIX}-([0-9a-f]{6})-(\\d+)-(router|cpe)$`).exec(name);
  return m ? { suffix: m[1] as string, pid: Number(m[2]) } : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function listNamespaces(ip: string): Promise<string[]> {
  const { stdout } = await run(ip, ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function listLinks(ip: string): Promise<string[]> {
  const { stdout } = await run(ip, ['-j', 'link', 'show']);
  return (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname);
}

/** Kills what still runs inside a namespace of ours (a simulator a dead run left behind), then deletes it. */
async function deleteNamespace(ip: string, ns: string): Promise<void> {
  const pids = await run(ip, ['netns', 'pids', ns]).then(
    (r) => r.stdout.split(/\s+/).filter(Boolean).map(Number),
    () => [] as number[],
  );
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await run(ip, ['netns', 'del', ns]);
}

/**
 * Removes namespaces (and root-side veths) of this prefix whose owning process is gone; another run's live
 * topology is left alone. Returns what it removed.
 */
export async function removeLeftoverTopologies(): Promise<string[]> {
  const ip = ipCommand();
  // Links first: a run creates its namespaces before its veth, so a live run's veth always has its namespace listed.
  const links = await listLinks(ip);
  const namespaces = await listNamespaces(ip);
  const liveSuffixes = new Set<string>();
  const removed: string[] = [];
  for (const ns of namespaces) {
    const owner = parseNamespace(ns);
    if (!owner) continue;
    if (alive(owner.pid)) {
      liveSuffixes.add(owner.suffix);
      continue;
    }
    await deleteNamespace(ip, ns);
    removed.push(`netns ${ns}`);
  }
  for (const link of links) {
    const m = /^nat([0-9a-f]{6})a$/.exec(link);
    if (!m || liveSuffixes.has(m[1] as string)) continue;
    // Its namespace is gone or dead: the root end of a half-built topology.
    await run(ip, ['link', 'del', link]).then(
      () => removed.push(`link ${link}`),
      () => undefined,
    );
  }
  return removed;
}

export interface NatTopology {
  readonly suffix: string;
  readonly routerNs: string;
  readonly cpeNs: string;
  /** The root-side veth and its address: the only address the ACS listens on. */
  readonly acsInterface: string;
  readonly acsAddress: string;
  /** The router's "public" address: what the ACS sees as every CPE's source. */
  readonly publicAddress: string;
  readonly routerPublicInterface: string;
  readonly cpeAddress: typeof CPE_ADDRESS;
  /** How the masquerade was set up: nftables, or iptables when nft failed (then `natFallbackReason` says why). */
  readonly natBackend: 'nftables' | 'iptables';
  readonly natFallbackReason?: string;
  /** `ip netns exec <ns> <cmd> <args>`, bounded. */
  exec(ns: string, cmd: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** The argv that runs a command inside a namespace (for long-running children). */
  execArgv(ns: string, cmd: string, args: readonly string[]): { cmd: string; args: string[] };
  /** Deletes both namespaces (killing anything left inside) and the root-side veth; idempotent. */
  destroy(): Promise<void>;
}

/** A /30 in 198.18.0.0/15 that no local interface uses yet: [root side, router side]. */
async function pickPublicPair(ip: string): Promise<[string, string]> {
  const { stdout } = await run(ip, ['-j', '-4', 'addr', 'show']);
  const used = new Set((JSON.parse(stdout) as { addr_info?: { local: string }[] }[]).flatMap((l) => (l.addr_info ?? []).map((a) => a.local)));
  for (let i = 0; i < 100; i++) {
    const second = 18 + randomInt(2);
    const third = randomInt(256);
    const base = randomInt(64) * 4;
    const pair: [string, string] = [`198.${second}.${third}.${base + 1}`, `198.${second}.${third}.${base + 2}`];
    if (!pair.some((a) => used.has(a))) return pair;
  }
  throw new Error('no free /30 in 198.18.0.0/15');
}

function nftRuleset(table: string, pub: string, lan: string): string {
  return `table ip ${table} {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${pub}" meta l4proto udp masquerade to :${NAT_UDP_PORTS.min}-${NAT_UDP_PORTS.max}
    oifname "${pub}" masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "${lan}" oifname "${pub}" accept
    iifname "${pub}" oifname "${lan}" ct state established,related accept
  }
}
`;
}

async function setUpNat(
  exec: NatTopology['exec'],
  ns: string,
  pub: string,
  lan: string,
): Promise<{ backend: 'nftables' | 'iptables'; fallbackReason?: string }> {
  const nft = findExecutable('nft');
  let nftFailure: string;
  if (nft === undefined) {
    nftFailure = 'nft is not installed';
  } else {
    try {
      await exec(ns, nft, ['-f', '-'], { input: nftRuleset(NETNS_PREFIX, pub, lan) });
      const { stdout } = await exec(ns, nft, ['list', 'table', 'ip', NETNS_PREFIX]);
      if (!stdout.includes('masquerade')) throw new Error(`nft list shows no masquerade rule:\n${stdout}`);
      return { backend: 'nftables' };
    } catch (err) {
      nftFailure = err instanceof Error ? err.message : String(err);
    }
  }
  const iptables = findExecutable('iptables');
  if (iptables === undefined) {
    throw new NetnsUnavailableError(`the NAT test's masquerade failed with nftables (${nftFailure}) and iptables is not installed: ${INSTALL_HINT}`);
  }
  try {
    const rules: string[][] = [
      ['-t', 'nat', '-A', 'POSTROUTING', '-o', pub, '-p', 'udp', '-j', 'MASQUERADE', '--to-ports', `${NAT_UDP_PORTS.min}-${NAT_UDP_PORTS.max}`],
      ['-t', 'nat', '-A', 'POSTROUTING', '-o', pub, '-j', 'MASQUERADE'],
      ['-P', 'FORWARD', 'DROP'],
      ['-A', 'FORWARD', '-i', lan, '-o', pub, '-j', 'ACCEPT'],
      ['-A', 'FORWARD', '-i', pub, '-o', lan, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    ];
    for (const rule of rules) await exec(ns, iptables, rule);
    return { backend: 'iptables', fallbackReason: nftFailure };
  } catch (err) {
    throw new NetnsUnavailableError(
      `the NAT test's masquerade failed with nftables (${nftFailure}) and with iptables (${err instanceof Error ? err.message : String(err)}): the kernel needs nf_tables/nf_nat (modprobe nf_tables nf_nat), and ${INSTALL_HINT}`,
    );
  }
}

/**
 * Builds the topology (see the top of this file). Any failure tears down what was built and throws; a
 * NetnsUnavailableError when the machine refused (no root, no netns, no nftables), saying how to fix it.
 */
export async function createNatTopology(): Promise<NatTopology> {
  const { ip } = checkNetnsPrerequisites();
  const suffix = randomBytes(3).toString('hex');
  const routerNs = `${NETNS_PREFIX}-${suffix}-${process.pid}-router`;
  const cpeNs = `${NETNS_PREFIX}-${suffix}-${process.pid}-cpe`;
  // Interface names: at most 15 characters.
  const acsInterface = `nat${suffix}a`;
  const routerPublicInterface = `nat${suffix}b`;
  const routerLanInterface = `nat${suffix}c`;
  const cpeInterface = `nat${suffix}d`;

  const execArgv = (ns: string, cmd: string, args: readonly string[]) => ({ cmd: ip, args: ['netns', 'exec', ns, cmd, ...args] });
  const exec: NatTopology['exec'] = (ns, cmd, args, opts) => {
    const argv = execArgv(ns, cmd, args);
    return run(argv.cmd, argv.args, opts ?? {});
  };
  let destroyed: Promise<void> | undefined;
  const destroy = () => {
    destroyed ??= (async () => {
      const failures: string[] = [];
      const present = await listNamespaces(ip).catch(() => [routerNs, cpeNs]);
      for (const ns of [cpeNs, routerNs]) {
        if (present.includes(ns)) await deleteNamespace(ip, ns).catch((err: unknown) => failures.push(String(err)));
      }
      // Deleting the router namespace destroys the pair; only a half-built topology leaves the root end.
      if ((await listLinks(ip).catch(() => [acsInterface])).includes(acsInterface)) {
        await run(ip, ['link', 'del', acsInterface]).catch(async (err: unknown) => {
          // The kernel may have removed the pair in the meantime (namespace deletion finishes asynchronously).
          if ((await listLinks(ip).catch(() => [acsInterface])).includes(acsInterface)) failures.push(String(err));
        });
      }
      const left = (await listNamespaces(ip).catch(() => [])).filter((ns) => ns === routerNs || ns === cpeNs);
      if (left.length > 0) failures.push(`still listed: ${left.join(', ')}`);
      if (failures.length > 0) throw new Error(`tearing down the NAT topology ${suffix} failed: ${failures.join('; ')}`);
    })();
    return destroyed;
  };

  try {
    try {
      await run(ip, ['netns', 'add', routerNs]);
    } catch (err) {
      throw new NetnsUnavailableError(
        `\`ip netns add\` was refused (${err instanceof Error ? err.message : String(err)}): the NAT test needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN (in a container: --privileged, or --cap-add SYS_ADMIN --cap-add NET_ADMIN) and ${INSTALL_HINT}`,
      );
    }
    await run(ip, ['netns', 'add', cpeNs]);
    const [acsAddress, publicAddress] = await pickPublicPair(ip);

    try {
      await run(ip, ['link', 'add', acsInterface, 'type', 'veth', 'peer', 'name', routerPublicInterface, 'netns', routerNs]);
    } catch (err) {
      throw new NetnsUnavailableError(
        `creating a veth pair was refused (${err instanceof Error ? err.message : String(err)}): the kernel needs the veth module (modprobe veth) and the test CAP_NET_ADMIN; ${INSTALL_HINT}`,
      );
    }
    await run(ip, ['addr', 'add', `${acsAddress}/30`, 'dev', acsInterface]);
    await run(ip, ['link', 'set', acsInterface, 'up']);

    const inRouter = (...args: string[]) => run(ip, ['-n', routerNs, ...args]);
    const inCpe = (...args: string[]) => run(ip, ['-n', cpeNs, ...args]);
    await inRouter('link', 'set', 'lo', 'up');
    await inRouter('addr', 'add', `${publicAddress}/30`, 'dev', routerPublicInterface);
    await inRouter('link', 'set', routerPublicInterface, 'up');
    await inRouter('link', 'add', routerLanInterface, 'type', 'veth', 'peer', 'name', cpeInterface, 'netns', cpeNs);
    await inRouter('addr', 'add', `${ROUTER_LAN_ADDRESS}/24`, 'dev', routerLanInterface);
    await inRouter('link', 'set', routerLanInterface, 'up');
    await inCpe('link', 'set', 'lo', 'up');
    await inCpe('addr', 'add', `${CPE_ADDRESS}/24`, 'dev', cpeInterface);
    await inCpe('link', 'set', cpeInterface, 'up');
    await inCpe('route', 'add', 'default', 'via', ROUTER_LAN_ADDRESS);

    // /proc/sys/net is the reading process's namespace: this is the router's forwarding switch, not the host's.
    await exec(routerNs, findExecutable('sh') ?? '/bin/sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward']).then(({ stdout }) => {
      if (stdout.trim() !== '1') throw new Error(`ip_forward in ${routerNs} reads ${stdout.trim()}`);
    });
    const nat = await setUpNat(exec, routerNs, routerPublicInterface, routerLanInterface);

    return {
      suffix,
      routerNs,
      cpeNs,
      acsInterface,
      acsAddress,
      publicAddress,
      routerPublicInterface,
      cpeAddress: CPE_ADDRESS,
      natBackend: nat.backend,
      ...(nat.fallbackReason === undefined ? {} : { natFallbackReason: nat.fallbackReason }),
      exec,
      execArgv,
      destroy,
    };
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
}

/** The root namespace's route to `address`: the interface a packet would leave by. */
export async function rootRouteTo(address: string): Promise<{ dev: string; gateway?: string } | undefined> {
  const ip = ipCommand();
  const { stdout } = await run(ip, ['-j', 'route', 'get', address]).catch(() => ({ stdout: '[]' }));
  const [route] = JSON.parse(stdout) as { dev: string; gateway?: string }[];
  return route;
}

/** Routes of the root namespace covering the private subnet (default routes aside): must be none. */
export async function rootRoutesIntoPrivateSubnet(): Promise<string[]> {
  const ip = ipCommand();
  const { stdout } = await run(ip, ['-j', 'route', 'show', 'table', 'all']);
  return (JSON.parse(stdout) as { dst: string; dev?: string }[])
    .filter((r) => r.dst.startsWith('192.168.213.') || r.dst === PRIVATE_SUBNET || r.dst === '192.168.0.0/16')
    .map((r) => `${r.dst} dev ${r.dev ?? '?'}`);
}

/**
 * A datagram from the CPE's private address to `acsAddress:<port>` (node one-liner inside the cpe namespace):
 * where it arrives from is the NAT's mapping. Bounded by `timeoutMs`.
 */
export async function probeUdpThroughNat(topology: NatTopology, timeoutMs = 10_000): Promise<{ address: string; port: number; localPort: number }> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, topology.acsAddress, () => resolve());
    });
    const marker = randomBytes(8).toString('hex');
    const received = new Promise<{ address: string; port: number; localPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no probe datagram from ${topology.cpeNs} within ${timeoutMs} ms`)), timeoutMs);
      socket.on('message', (msg, rinfo) => {
        const [tag, localPort] = msg.toString().split(' ');
        if (tag !== marker) return;
        clearTimeout(timer);
        resolve({ address: rinfo.address, port: rinfo.port, localPort: Number(localPort) });
      });
    });
    const script = `const s=require('dgram').createSocket('udp4');s.bind(0,'${CPE_ADDRESS}',()=>s.send('${marker} '+s.address().port,${socket.address().port},'${topology.acsAddress}',e=>{if(e){console.error(e.message);process.exit(1)}s.close()}))`;
    const sending = topology.exec(topology.cpeNs, process.execPath, ['-e', script], { timeoutMs });
    // Whichever fails first is the error; the other one's rejection is then of no interest.
    sending.catch(() => undefined);
    received.catch(() => undefined);
    const [from] = await Promise.all([received, sending]);
    return from;
  } finally {
    socket.close();
  }
}

/** A TCP connection from the root namespace to `host:port`: how it ends (`connected`, `ECONNREFUSED`, `timeout`...). */
export async function tcpConnectOutcome(host: string, port: number, localAddress: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
