import { existsSync } from 'node:fs';
import mongoose from 'mongoose';
import { UnusableServerError, startMongoJavaServer, type MongoJavaServer } from '../src/index.js';
import { parameterTreeRoundTrip } from './parameter-tree-roundtrip.js';

describe('the MongoDB driver against a real mongo-java-server', () => {
  let server: MongoJavaServer;
  let client: mongoose.mongo.MongoClient;

  beforeAll(async () => {
    server = await startMongoJavaServer();
    client = await new mongoose.mongo.MongoClient(server.url, { directConnection: true, serverSelectionTimeoutMS: 5_000 }).connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('listens on loopback and reports a wire version the driver accepts', async () => {
    expect(server.url).toBe(`mongodb://127.0.0.1:${server.port}/`);
    // It knows only the legacy handshake (no `hello` command), which the driver falls back to.
    const hello = await client.db('admin').command({ isMaster: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(9);
  });

  it('writes a document, updates a dotted path under an escaped key, and reads it back', async () => {
    await parameterTreeRoundTrip(client);
  });

  it('is gone after stop()', async () => {
    const other = await startMongoJavaServer();
    // The JVM is our own child (no shell between), so once stop() has seen it exit, it is reaped and its pid gone.
    const proc = `/proc/${other.pid}`;
    expect(existsSync(proc)).toBe(true);
    await other.stop();
    expect(existsSync(proc)).toBe(false);
  }, 60_000);
});

describe('startMongoJavaServer without its jars', () => {
  const saved = process.env.ACS_MONGO_JAVA_SERVER_CLASSPATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.ACS_MONGO_JAVA_SERVER_CLASSPATH;
    else process.env.ACS_MONGO_JAVA_SERVER_CLASSPATH = saved;
  });

  it('fails naming the missing jar and the install command', async () => {
    process.env.ACS_MONGO_JAVA_SERVER_CLASSPATH = '/nonexistent/mongo-java-server-core-1.47.0.jar';
    const err: unknown = await startMongoJavaServer().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnusableServerError);
    expect(err).toMatchObject({
      code: 'UNUSABLE_SERVER',
      installCommand: expect.stringContaining('scripts/install-test-servers.sh'),
      detail: expect.stringContaining('/nonexistent/mongo-java-server-core-1.47.0.jar'),
    });
  });
});
