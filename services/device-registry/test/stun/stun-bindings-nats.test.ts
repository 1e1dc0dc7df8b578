import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type Consumer, type NatsBus } from '@acs/bus';
import { createSubjects, parseDeadLetter, type DeadLetter, type StunBindingEvent } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { startFerretDb, startNats, type FerretDbServer, type NatsServer } from '@acs/testkit';
import { createStunBindingConsumer, type StunBindingConsumer } from '../../src/stun/binding-consumer.js';
import { createMongoDeviceStore, type MongoDeviceStore } from '../../src/store/mongo/mongo-device-store.js';

// connreq-stun's binding events as deployed: JetStream's events stream, two registry replicas sharing the durable
// `registry-stun-bindings`, the MongoDB adapter on FerretDB. Each device ends with its latest binding.
const subjects = createSubjects('stest');
const DEVICES = 10;
const MOVES = 3;
const T0 = Date.UTC(2026, 0, 1);

let nats: NatsServer;
let ferret: FerretDbServer;
let store: MongoDeviceStore;
const buses: NatsBus[] = [];
const consumers: StunBindingConsumer[] = [];
let dlq: Consumer | undefined;
const letters: DeadLetter[] = [];

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
  store = await createMongoDeviceStore({ uri: ferret.url, dbName: `acs_stun_${randomBytes(4).toString('hex')}` });
  for (let i = 0; i < 2; i++) {
    const bus = await createNatsBus({ servers: nats.url, name: `registry-${i}` });
    buses.push(bus);
    const consumer = createStunBindingConsumer({ store, bus, subjects, logger: createLogger({ service: `registry-${i}`, level: 'silent' }) });
    await consumer.start();
    consumers.push(consumer);
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await dlq?.stop();
  await Promise.all(buses.map((b) => b.close()));
  await store?.close();
  await Promise.all([nats?.stop(), ferret?.stop()]);
});

describe('STUN binding consumer on NATS and FerretDB', () => {
  it(`stores the latest of ${MOVES} bindings for each of ${DEVICES} devices and dead-letters an invalid one`, async () => {
    const ids = Array.from({ length: DEVICES }, (_, i) => `00AA11-GW500-ST${i}`);
    for (const [i, id] of ids.entries()) await store.upsertDevice({ id, oui: '00AA11', productClass: 'GW500', serialNumber: `ST${i}` }, T0);
    const publisher = buses[0] as NatsBus;
    for (let move = 0; move < MOVES; move++) {
      for (const id of ids) {
        const event: StunBindingEvent = { deviceId: id, host: '127.0.0.1', port: 40_000 + move, observedAt: new Date(T0 + (move + 1) * 1_000).toISOString(), reason: move === 0 ? 'new' : 'moved', replica: 'stun-0' };
        await publisher.publishDurable(subjects.evt.stunBinding(id), event, { msgId: `${id}:${move}` });
      }
    }
    await publisher.publishDurable(subjects.evt.stunBinding(ids[0] as string), { deviceId: ids[0], host: '127.0.0.1' }, { msgId: 'invalid' });
    dlq = await publisher.consume(
      subjects.streams.deadLetters.name,
      'test-dlq',
      async (msg) => {
        const parsed = parseDeadLetter(JSON.parse(Buffer.from(msg.data).toString('utf8')));
        if (parsed.ok) letters.push(parsed.value);
        await msg.ack();
      },
      { ackWaitMs: 5_000, maxDeliver: 1 },
    );

    const last = `127.0.0.1:${40_000 + MOVES - 1}`;
    for (const id of ids) {
      const cr = await waitFor(`${id}'s last binding`, async () => {
        const d = await store.getDevice(id);
        return d?.connectionRequest.udpConnectionRequestAddress === last ? d.connectionRequest : undefined;
      });
      expect(cr.udpConnectionRequestAddressSeenAt).toBe(T0 + MOVES * 1_000);
    }
    const [letter] = await waitFor('the dead letter', () => (letters.length > 0 ? letters : undefined));
    expect(letter).toMatchObject({ subject: subjects.evt.stunBinding(ids[0] as string), reason: 'INVALID_PAYLOAD' });
  }, 60_000);
});
