import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { createNatsBus, type Bus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { createRedisKv, type Kv, type SessionStore } from '@acs/kv';
import { createLogger } from '@acs/telemetry';
import { requireBinary, startNats, startRedis, type NatsServer, type RedisServer } from '@acs/testkit';
import type { Binding } from '../src/binding-store.js';
import { createConnreqStunService, type ConnreqStunService } from '../src/service.js';
import { testSettings } from './support/settings.js';

/** A UDP port nobody uses right now (the client binds it itself). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

// Interoperability: Debian's classic RFC 3489 client (stund's `stun`, package stun-client), not our codec.
describe('an independent STUN client against connreq-stun', () => {
  // By absolute path: node_modules/.bin/stun (the npm `stun` package's CLI) is a server, not this client.
  const stun = requireBinary('/usr/bin/stun', 'apt-get install -y stun-client');
  let nats: NatsServer;
  let redis: RedisServer;
  let kv: Kv;
  let bus: Bus;
  let service: ConnreqStunService;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const subjects = createSubjects(`t${randomUUID().slice(0, 8)}.acs`);
    kv = createRedisKv(redis.url, { prefix: `${subjects.prefix}:stun:` });
    bus = await createNatsBus({ servers: nats.url, name: 'connreq-stun' });
    service = createConnreqStunService({ bus, subjects, bindings: kv.sessions as SessionStore<Binding>, logger: createLogger({ service: 't', level: 'silent' }) }, testSettings());
    await service.start();
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await bus?.close();
    await kv?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('gets its own address and port back as the mapped address', async () => {
    const source = await freeUdpPort();
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(stun, [`127.0.0.1:${service.address().port}`, '1', '-v', '-p', String(source), '-i', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('error', reject);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
    expect(output).toContain('Got a response');
    expect(output).toMatch(new RegExp(`MappedAddress = 127\\.0\\.0\\.1:${source}\\b`));
  });
});
