import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { mongoPing } from './mongo-ping.js';
import { UnusableServerError, makeTempDir, requireBinary, spawnOwned, waitReady } from './process.js';

export const FERRETDB_VERSION = 'v1.24.2';

// A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` yields a binary that panics at start
// (build/version/version.txt is generated, not shipped in the module: FerretDB issue #2982), so the install
// script builds it from the module source with that file written.
export const FERRETDB_INSTALL =
  'bash scripts/install-test-servers.sh (builds github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2 with Go >= 1.24 into $(go env GOPATH)/bin)';

export interface FerretDbServer {
  /** mongodb://127.0.0.1:PORT/ — add a database name, e.g. `${url}acs`. */
  readonly url: string;
  readonly port: number;
  /** Process id of the server (benchmarks read its CPU time and memory from /proc). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Directories `go install`/`go build` write to; tests find ferretdb there even when they are not on PATH. */
export function goBinDirs(): string[] {
  const dirs = new Set<string>();
  if (process.env.GOBIN) dirs.add(process.env.GOBIN);
  for (const p of (process.env.GOPATH ?? '').split(':')) if (p) dirs.add(join(p, 'bin'));
  const go = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  if (go.status === 0 && go.stdout.trim()) dirs.add(join(go.stdout.trim().split(':')[0] ?? '', 'bin'));
  dirs.add(join(homedir(), 'go', 'bin'));
  return [...dirs];
}

let checkedBinary: string | undefined;

export function ferretDbBinary(): string {
  if (checkedBinary) return checkedBinary;
  const bin = requireBinary('ferretdb', FERRETDB_INSTALL, goBinDirs());
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (version.status !== 0) {
    throw new UnusableServerError(bin, FERRETDB_INSTALL, `${version.stdout ?? ''}${version.stderr ?? ''}`.slice(0, 2_000));
  }
  checkedBinary = bin;
  return bin;
}

/** The flags of every FerretDB the testkit starts, whatever its backend: loopback only, its own state dir, offline. */
export function ferretDbCommonArgs(port: number, stateDir: string): string[] {
  return [
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${stateDir}`,
    // The default debug address is the fixed port 8088, which collides between parallel servers.
    '--debug-addr=127.0.0.1:0',
    // By default FerretDB may call its telemetry service; tests make no outbound connection.
    '--telemetry=disable',
    '--log-level=warn',
  ];
}

/**
 * Starts FerretDB v1 (MongoDB wire protocol) with its SQLite backend in a temp dir, on a free
 * loopback port. Ready once a MongoDB driver completes a `ping` round trip.
 */
export async function startFerretDb(): Promise<FerretDbServer> {
  const bin = ferretDbBinary();
  const dir = makeTempDir('ferretdb');
  const port = await freePort();
  const proc = spawnOwned(
    bin,
    ['--handler=sqlite', `--sqlite-url=file:${dir}/`, ...ferretDbCommonArgs(port, dir)],
    { tempDir: dir },
  );
  const url = `mongodb://127.0.0.1:${port}/`;
  await waitReady(proc, 'ferretdb', () => mongoPing(url));
  return { url, port, pid: proc.child.pid, stop: () => proc.stop() };
}
