import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ferretDbBinary, ferretDbCommonArgs } from './ferretdb.js';
import { freePort } from './free-port.js';
import { mongoPing } from './mongo-ping.js';
import { MissingServerError, ServerStartError, makeTempDir, requireBinary, spawnOwned, waitReady, type OwnedProcess } from './process.js';

export const POSTGRES_INSTALL = 'apt-get install -y postgresql (or: bash scripts/install-test-servers.sh)';

export interface FerretDbPostgresServer {
  /** mongodb://127.0.0.1:PORT/ — add a database name, e.g. `${url}acs`. */
  readonly url: string;
  readonly port: number;
  /** Process id of FerretDB. */
  readonly pid: number | undefined;
  /** Process id of the PostgreSQL postmaster (its backends are its children). */
  readonly postgresPid: number | undefined;
  /** postgres://postgres@127.0.0.1:PGPORT/postgres — the cluster FerretDB stores its data in. */
  readonly postgresUrl: string;
  stop(): Promise<void>;
}

/**
 * The directory holding initdb, postgres and pg_isready: ACS_POSTGRES_BIN_DIR, else the newest
 * /usr/lib/postgresql/<major>/bin (Debian keeps them off PATH), else wherever initdb is on PATH.
 */
export function postgresBinDir(): string {
  const fromEnv = process.env.ACS_POSTGRES_BIN_DIR;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'initdb'))) throw new MissingServerError(`initdb (ACS_POSTGRES_BIN_DIR=${fromEnv})`, POSTGRES_INSTALL);
    return fromEnv;
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((d) => /^\d+$/.test(d) && existsSync(join(debian, d, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0] !== undefined) return join(debian, majors[0], 'bin');
  }
  const initdb = requireBinary('initdb', POSTGRES_INSTALL);
  return initdb.slice(0, initdb.lastIndexOf('/'));
}

/** PostgreSQL refuses to run as root: a root harness runs it as the `postgres` user Debian's package creates. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new MissingServerError('the postgres system user (PostgreSQL will not run as root)', POSTGRES_INSTALL);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function pgIsReady(bin: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '1'], (err) => resolve(err === null));
  });
}

/**
 * Starts FerretDB v1 with its PostgreSQL backend: a throwaway PostgreSQL cluster (initdb in a temp dir, trust
 * auth, listening on 127.0.0.1 and a socket in the temp dir only, no fsync: a test server), then FerretDB on
 * another free loopback port. Ready once a MongoDB driver completes a `ping` round trip. stop() stops both and
 * removes the temp dir.
 */
export async function startFerretDbPostgres(): Promise<FerretDbPostgresServer> {
  const ferretdb = ferretDbBinary();
  const bin = postgresBinDir();
  for (const b of ['initdb', 'postgres', 'pg_isready']) {
    if (!existsSync(join(bin, b))) throw new MissingServerError(`${join(bin, b)}`, POSTGRES_INSTALL);
  }
  const user = postgresUser();
  const dir = makeTempDir('ferretdb-pg');
  const data = join(dir, 'data');
  const state = join(dir, 'ferretdb');
  mkdirSync(state);
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  // cwd: the temp dir, which the postgres user can enter (the harness's cwd may not be).
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { cwd: dir, encoding: 'utf8', timeout: 60_000, ...asUser },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new ServerStartError('initdb', 'exited', `exit ${init.status ?? init.signal ?? init.error?.message}\n${init.stdout ?? ''}${init.stderr ?? ''}`);
  }

  const pgPort = await freePort();
  const postgres = spawnOwned(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(pgPort),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      // A test server: its data goes with stop(), so nothing is flushed to disk.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { cwd: dir, tempDir: dir, ...asUser },
  );
  let ferret: OwnedProcess | undefined;
  const stop = async () => {
    // FerretDB first: the postmaster's shutdown waits for its clients' sessions to end.
    await ferret?.stop();
    await postgres.stop();
  };
  try {
    await waitReady(postgres, 'postgres (for ferretdb)', () => pgIsReady(bin, pgPort));
    const port = await freePort();
    const postgresUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
    ferret = spawnOwned(
      ferretdb,
      ['--handler=postgresql', `--postgresql-url=${postgresUrl}`, ...ferretDbCommonArgs(port, state)],
      { cwd: state },
    );
    const url = `mongodb://127.0.0.1:${port}/`;
    await waitReady(ferret, 'ferretdb (postgresql)', () => mongoPing(url));
    return { url, port, pid: ferret.child.pid, postgresPid: postgres.child.pid, postgresUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
