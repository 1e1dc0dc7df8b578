import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { mongoPing } from './mongo-ping.js';
import { MissingServerError, UnusableServerError, makeTempDir, requireBinary, spawnOwned, waitReady } from './process.js';

/** Keep in step with scripts/mongo-java-server/pom.xml. */
export const MONGO_JAVA_SERVER_VERSION = '1.47.0';

/** Where scripts/install-test-servers.sh writes the launcher's classpath (Maven's dependency:build-classpath). */
export function mongoJavaServerClasspathFile(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'acs-test-servers', 'mongo-java-server.classpath');
}

export const MONGO_JAVA_SERVER_INSTALL =
  'bash scripts/install-test-servers.sh (apt-get install -y default-jdk-headless maven if java/mvn are missing, then ' +
  'mvn -f scripts/mongo-java-server/pom.xml dependency:build-classpath into ~/.cache/acs-test-servers/mongo-java-server.classpath)';

// Both src/ and dist/ sit two levels below the repository root.
const LAUNCHER = fileURLToPath(new URL('../../../scripts/mongo-java-server/MongoJavaServerLauncher.java', import.meta.url));

// mongo-java-server 1.47 is built for Java 17, and running a source file needs a JDK (jdk.compiler), not a JRE.
const JAVA_MIN_MAJOR = 17;

export interface MongoJavaServer {
  /** mongodb://127.0.0.1:PORT/ — add a database name, e.g. `${url}acs`. */
  readonly url: string;
  readonly port: number;
  /** Process id of the JVM (benchmarks read its CPU time and memory from /proc). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

let checkedJava: string | undefined;

function javaBinary(): string {
  if (checkedJava) return checkedJava;
  const bin = requireBinary('java', MONGO_JAVA_SERVER_INSTALL, process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, 'bin')] : []);
  const version = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${version.stdout ?? ''}${version.stderr ?? ''}`;
  // `openjdk version "17.0.15" 2025-04-15`; Java 8 and older say "1.8.0_…".
  const major = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const n = major ? (major[1] === '1' ? Number(major[2]) : Number(major[1])) : NaN;
  if (version.status !== 0 || !(n >= JAVA_MIN_MAJOR)) {
    throw new UnusableServerError(bin, MONGO_JAVA_SERVER_INSTALL, `mongo-java-server needs Java >= ${JAVA_MIN_MAJOR}; \`${bin} -version\` said:\n${text.slice(0, 2_000)}`);
  }
  checkedJava = bin;
  return bin;
}

/** ACS_MONGO_JAVA_SERVER_CLASSPATH (a classpath, `:`-separated) or the installed classpath file; every entry must exist. */
function classpath(): string {
  const fromEnv = process.env.ACS_MONGO_JAVA_SERVER_CLASSPATH;
  const file = mongoJavaServerClasspathFile();
  let cp: string;
  let source: string;
  if (fromEnv) {
    cp = fromEnv.trim();
    source = 'ACS_MONGO_JAVA_SERVER_CLASSPATH';
  } else {
    if (!existsSync(file)) throw new MissingServerError(`mongo-java-server (no classpath file ${file})`, MONGO_JAVA_SERVER_INSTALL);
    cp = readFileSync(file, 'utf8').trim();
    source = file;
  }
  const entries = cp.split(':').filter((e) => e !== '');
  const absent = entries.filter((e) => !existsSync(e));
  if (entries.length === 0 || absent.length > 0) {
    const detail = entries.length === 0 ? `${source} is empty` : `${source} names jars that are gone (a cleaned ~/.m2?):\n${absent.join('\n')}`;
    throw new UnusableServerError('mongo-java-server', MONGO_JAVA_SERVER_INSTALL, detail);
  }
  return entries.join(':');
}

/**
 * Starts mongo-java-server (MongoDB wire protocol, in-memory backend) in a JVM on a free loopback port, through
 * scripts/mongo-java-server/MongoJavaServerLauncher.java. Ready once a MongoDB driver completes a `ping` round trip.
 * State lives in the JVM only; a temp dir holds the JVM's own files and goes with stop().
 */
export async function startMongoJavaServer(): Promise<MongoJavaServer> {
  const java = javaBinary();
  const cp = classpath();
  if (!existsSync(LAUNCHER)) throw new MissingServerError(`mongo-java-server launcher (${LAUNCHER})`, MONGO_JAVA_SERVER_INSTALL);
  const dir = makeTempDir('mongo-java-server');
  const port = await freePort();
  const proc = spawnOwned(
    java,
    [
      // No /tmp/hsperfdata_<user> file; anything else the JVM writes (java.io.tmpdir, crash logs in cwd) is the temp dir.
      '-XX:-UsePerfData',
      `-Djava.io.tmpdir=${dir}`,
      '-cp',
      cp,
      LAUNCHER,
      String(port),
    ],
    // The launcher exits when its stdin ends: the JVM goes even if this process is SIGKILLed.
    { cwd: dir, tempDir: dir, stdin: 'pipe' },
  );
  const url = `mongodb://127.0.0.1:${port}/`;
  await waitReady(proc, 'mongo-java-server', () => mongoPing(url));
  return { url, port, pid: proc.child.pid, stop: () => proc.stop() };
}
