import { existsSync } from 'node:fs';
import mongoose from 'mongoose';
import { MissingServerError, startFerretDbPostgres, type FerretDbPostgresServer } from '../src/index.js';
import { parameterTreeRoundTrip } from './parameter-tree-roundtrip.js';

describe('the MongoDB driver against a real FerretDB on PostgreSQL', () => {
  let server: FerretDbPostgresServer;
  let client: mongoose.mongo.MongoClient;

  beforeAll(async () => {
    server = await startFerretDbPostgres();
    client = await new mongoose.mongo.MongoClient(server.url, { directConnection: true, serverSelectionTimeoutMS: 5_000 }).connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('listens on loopback, PostgreSQL too, and says it is FerretDB', async () => {
    expect(server.url).toBe(`mongodb://127.0.0.1:${server.port}/`);
    expect(server.postgresUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(8);
    const info = await client.db('admin').command({ buildInfo: 1 });
    expect(info.ferretdbVersion).toBe('v1.24.2');
  });

  it('writes a document, updates a dotted path under an escaped key, and reads it back', async () => {
    await parameterTreeRoundTrip(client);
  });

  it('is gone after stop(), PostgreSQL with it', async () => {
    const other = await startFerretDbPostgres();
    const procs = [`/proc/${other.pid}`, `/proc/${other.postgresPid}`];
    expect(procs.map(existsSync)).toEqual([true, true]);
    await other.stop();
    expect(procs.map(existsSync)).toEqual([false, false]);
  }, 60_000);
});

describe('startFerretDbPostgres without PostgreSQL', () => {
  const saved = process.env.ACS_POSTGRES_BIN_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.ACS_POSTGRES_BIN_DIR;
    else process.env.ACS_POSTGRES_BIN_DIR = saved;
  });

  it('fails naming the install command', async () => {
    process.env.ACS_POSTGRES_BIN_DIR = '/nonexistent/postgresql/bin';
    const err: unknown = await startFerretDbPostgres().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingServerError);
    expect(err).toMatchObject({ code: 'MISSING_SERVER', installCommand: expect.stringContaining('apt-get install -y postgresql') });
  });
});
