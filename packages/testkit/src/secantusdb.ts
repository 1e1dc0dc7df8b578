import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { mongoPing } from './mongo-ping.js';
import { MissingServerError, makeTempDir, spawnOwned, waitReady } from './process.js';

/** The PyPI release measured (SecantusDB's Python MongoDB-wire server; its Rust `secantusd-rs` is not on PyPI). */
export const SECANTUSDB_VERSION = '0.7.0b3';

/** The venv the install command creates; `secantusd-py` lives in its bin/. */
export function secantusDbVenv(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'acs-test-servers', 'secantusdb-venv');
}

export const SECANTUSDB_INSTALL =
  'python3 -m venv ~/.cache/acs-test-servers/secantusdb-venv && ' +
  `~/.cache/acs-test-servers/secantusdb-venv/bin/pip install --only-binary=:all: SecantusDB==${SECANTUSDB_VERSION}`;

export interface SecantusDbServer {
  /** mongodb://127.0.0.1:PORT/ — add a database name, e.g. `${url}acs`. */
  readonly url: string;
  readonly port: number;
  /** Process id of the Python server. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** ACS_SECANTUSD_PY (a path to secantusd-py), else the install command's venv. */
function secantusdPy(): string {
  const bin = process.env.ACS_SECANTUSD_PY || join(secantusDbVenv(), 'bin', 'secantusd-py');
  if (!existsSync(bin)) throw new MissingServerError(`secantusd-py (${bin})`, SECANTUSDB_INSTALL);
  return bin;
}

/**
 * Starts SecantusDB's Python MongoDB-wire server (`secantusd-py`, WiredTiger storage) with its data in a temp dir,
 * on a free loopback port, as a standalone (not the single-node replica set it advertises by default), with an
 * empty config file so no secantusd.toml is picked up from ~ or /etc. Ready once a MongoDB driver `ping` answers.
 */
export async function startSecantusDb(): Promise<SecantusDbServer> {
  const bin = secantusdPy();
  const dir = makeTempDir('secantusdb');
  const config = join(dir, 'secantusd.toml');
  writeFileSync(config, '');
  const port = await freePort();
  const proc = spawnOwned(
    bin,
    ['--config', config, '--host', '127.0.0.1', '--port', String(port), '--storage-path', join(dir, 'data'), '--standalone', '--log-level', 'WARNING'],
    { cwd: dir, tempDir: dir },
  );
  const url = `mongodb://127.0.0.1:${port}/`;
  await waitReady(proc, 'secantusd-py', () => mongoPing(url));
  return { url, port, pid: proc.child.pid, stop: () => proc.stop() };
}
