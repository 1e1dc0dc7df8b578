import { existsSync } from 'node:fs';
import mongoose from 'mongoose';
import { MissingServerError, startSecantusDb, type SecantusDbServer } from '../src/index.js';
import { parameterTreeRoundTrip } from './parameter-tree-roundtrip.js';

describe('the MongoDB driver against a real SecantusDB (Python server)', () => {
  let server: SecantusDbServer;
  let client: mongoose.mongo.MongoClient;

  beforeAll(async () => {
    server = await startSecantusDb();
    client = await new mongoose.mongo.MongoClient(server.url, { directConnection: true, serverSelectionTimeoutMS: 5_000 }).connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('listens on loopback as a standalone with a wire version the driver accepts', async () => {
    expect(server.url).toBe(`mongodb://127.0.0.1:${server.port}/`);
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(8);
    expect(hello.setName).toBeUndefined();
  });

  it('writes a document, updates a dotted path under an escaped key, and reads it back', async () => {
    await parameterTreeRoundTrip(client);
  });

  it('is gone after stop()', async () => {
    const other = await startSecantusDb();
    const proc = `/proc/${other.pid}`;
    expect(existsSync(proc)).toBe(true);
    await other.stop();
    expect(existsSync(proc)).toBe(false);
  }, 60_000);
});

describe('startSecantusDb without its venv', () => {
  const saved = process.env.ACS_SECANTUSD_PY;
  afterEach(() => {
    if (saved === undefined) delete process.env.ACS_SECANTUSD_PY;
    else process.env.ACS_SECANTUSD_PY = saved;
  });

  it('fails naming the install command', async () => {
    process.env.ACS_SECANTUSD_PY = '/nonexistent/secantusd-py';
    const err: unknown = await startSecantusDb().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingServerError);
    expect(err).toMatchObject({ code: 'MISSING_SERVER', installCommand: expect.stringContaining('pip install --only-binary=:all: SecantusDB==') });
  });
});
