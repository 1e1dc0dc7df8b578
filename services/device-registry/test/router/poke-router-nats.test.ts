import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type Consumer, type NatsBus } from '@acs/bus';
import { createSubjects, decodePayload, deviceIdFromParts, parseConnreqEvent, parseConnreqHttpCommand, type ConnreqEvent, type ConnreqHttpCommand } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { startFerretDb, startNats, type FerretDbServer, type NatsServer } from '@acs/testkit';
import { createPokeRouter, type PokeRouter } from '../../src/router/poke-router.js';
import { createSecretBox } from '../../src/secrets.js';
import { createMongoDeviceStore, type MongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';

// Two router replicas as deployed: real NATS JetStream (work-queue commands stream, dedup by msgId) and the
// MongoDB adapter on a real FerretDB. Each poke must end in exactly one command or one no_route event.
const subjects = createSubjects('rtest');
const secretBox = createSecretBox(randomBytes(32).toString('base64'));
const KNOWN = 20;
const POKES_PER_DEVICE = 4;
const UNKNOWN = 20;

let nats: NatsServer;
let ferret: FerretDbServer;
let store: MongoDeviceStore;
const buses: NatsBus[] = [];
const routers: PokeRouter[] = [];
const routedBy = [0, 0];

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  [nats, ferret] = await Promise.all([startNats(), startFerretDb()]);
  store = await createMongoDeviceStore({ uri: ferret.url, dbName: `acs_router_${randomBytes(4).toString('hex')}` });
  for (let i = 0; i < 2; i++) {
    const bus = await createNatsBus({ servers: nats.url, name: `router-${i}` });
    buses.push(bus);
    // Counts what each replica routed, from its own log lines.
    const destination = {
      write(line: string) {
        const msg = (JSON.parse(line) as { msg?: string }).msg;
        if (msg === 'poke routed' || msg === 'poke has no route') routedBy[i] = (routedBy[i] ?? 0) + 1;
      },
    };
    const logger = createLogger({ service: `router-${i}`, level: 'info', destination });
    const router = createPokeRouter({ store, bus, subjects, secretBox, logger, transports: ['http'] });
    await router.start();
    routers.push(router);
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(routers.map((r) => r.stop()));
  await Promise.all(buses.map((b) => b.close()));
  await store?.close();
  await Promise.all([nats?.stop(), ferret?.stop()]);
});

describe('poke router replicas on NATS and FerretDB', () => {
  it(`routes ${KNOWN * POKES_PER_DEVICE + UNKNOWN} pokes, each published twice, into exactly one command or event each`, async () => {
    const ids = Array.from({ length: KNOWN }, (_, i) => deviceIdFromParts('00AA11', 'GW500', `RT${i}`));
    for (const [i, id] of ids.entries()) {
      await store.upsertDevice(
        {
          id,
          oui: '00AA11',
          productClass: 'GW500',
          serialNumber: `RT${i}`,
          sourceIp: '127.0.0.1',
          connectionRequest: { connectionRequestURL: `http://127.0.0.1:${10_000 + i}/cr` },
          connectionRequestAuth: { username: `cr-${i}`, passwordSealed: secretBox.encrypt(`pw-${i}`), source: 'nbi' },
        },
        Date.now(),
      );
    }
    const [publisher, reader] = [buses[0] as NatsBus, buses[1] as NatsBus];
    const commands: ConnreqHttpCommand[] = [];
    const events: ConnreqEvent[] = [];
    const consumers: Consumer[] = [
      await reader.consume(
        subjects.streams.commands.name,
        'connreq-http',
        async (msg) => {
          const parsed = decodePayload(msg.data, parseConnreqHttpCommand);
          if (parsed.ok) commands.push(parsed.value);
          await msg.ack();
        },
        { filterSubject: subjects.cmd.connreq.http, ackWaitMs: 10_000, maxDeliver: 1 },
      ),
      await reader.consume(
        subjects.streams.events.name,
        'test-connreq-events',
        async (msg) => {
          const parsed = decodePayload(msg.data, parseConnreqEvent);
          if (parsed.ok) events.push(parsed.value);
          await msg.ack();
        },
        { filterSubject: subjects.evt.allConnreqs, ackWaitMs: 10_000, maxDeliver: 1 },
      ),
    ];
    try {
      const pokes = [
        ...ids.flatMap((deviceId) => Array.from({ length: POKES_PER_DEVICE }, (_, k) => ({ deviceId, requestId: `${deviceId}#${k}` }))),
        ...Array.from({ length: UNKNOWN }, (_, k) => ({ deviceId: deviceIdFromParts('00AA11', 'GW500', `NOPE${k}`), requestId: `unknown#${k}` })),
      ];
      let duplicates = 0;
      for (const p of pokes) {
        await publisher.publishDurable(subjects.cmd.poke, p, { msgId: p.requestId });
        if ((await publisher.publishDurable(subjects.cmd.poke, p, { msgId: p.requestId })).duplicate) duplicates++;
      }
      expect(duplicates).toBe(pokes.length);

      await waitFor('every poke to be routed', () => (commands.length + events.length >= pokes.length ? true : undefined));
      expect(commands).toHaveLength(KNOWN * POKES_PER_DEVICE);
      expect(new Set(commands.map((c) => c.requestId)).size).toBe(KNOWN * POKES_PER_DEVICE);
      for (const c of commands) {
        const i = ids.indexOf(c.deviceId);
        expect(c).toMatchObject({ url: `http://127.0.0.1:${10_000 + i}/cr`, credentials: { username: `cr-${i}`, password: `pw-${i}` } });
      }
      expect(events.map((e) => [e.outcome, e.detail]).sort()).toEqual(Array.from({ length: UNKNOWN }, () => ['no_route', 'unknown device']));
      // Both replicas took a share of the durable consumer's work.
      expect(routedBy[0]).toBeGreaterThan(0);
      expect(routedBy[1]).toBeGreaterThan(0);
      expect((routedBy[0] ?? 0) + (routedBy[1] ?? 0)).toBe(pokes.length);
      // Each device remembers one of its pokes.
      const last = await store.getDevice(ids[0] as string);
      expect(last?.lastPoke?.requestId).toMatch(new RegExp(`^${(ids[0] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#\\d$`));
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
  });
});
