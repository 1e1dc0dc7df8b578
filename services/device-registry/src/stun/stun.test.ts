// The registry's STUN endpoints and events on the in-process bus: connreq-stun's username lookup, and its binding
// events becoming the device's UDP connection-request address (seen through the NBI as an operator would).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Consumer } from '@acs/bus';
import { decodeJson, parseDeadLetter, parseErrorReply, parseStunDeviceReply, type DeadLetter, type StunBindingEvent } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { startNbiHarness, enc, type NbiHarness } from '../../test/nbi/harness.js';
import { DeviceSchema } from '../nbi/schemas.js';
import { makeFixture, T0, type Fixture } from '../registry.fixture.js';
import type { DeviceType } from '../store/types.js';
import { createStunBindingConsumer, udpAddressOf, type StunBindingConsumer } from './binding-consumer.js';

const ID = '00AA11-GW500-SN0001';
const identity = { id: ID, oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };

let f: Fixture;
let stunType: DeviceType;
beforeEach(async () => {
  f = await makeFixture();
  stunType = await f.store.createDeviceType({ name: 'stun', match: { oui: '00AA11' }, connectionRequestPolicy: { stun: { requireAuth: false, maximumKeepAlivePeriod: 90 } } }, T0);
});
afterEach(async () => {
  await f.close();
});

async function call(subject: string, payload: object): Promise<unknown> {
  const reply = await f.bus.request(subject, payload, { timeoutMs: 2_000 });
  const json = decodeJson(reply.data);
  if (!json.ok) throw json.error;
  return json.value;
}

describe('registry.stun.device', () => {
  beforeEach(async () => {
    await f.registry.registerEndpoints();
    await f.bus.flush();
  });

  it("answers with the device and its type's STUN terms", async () => {
    await f.store.upsertDevice({ ...identity, deviceTypeId: stunType.id }, T0);
    const reply = parseStunDeviceReply(await call(f.subjects.registry.stunDevice, { username: ID }));
    expect(reply).toEqual({ ok: true, value: { deviceId: ID, requireAuth: false, maximumKeepAlivePeriod: 90 } });
  });

  it('answers NOT_FOUND for an unknown username, a type without STUN and an untyped device', async () => {
    const plain = await f.store.createDeviceType({ name: 'plain' }, T0);
    await f.store.upsertDevice({ ...identity, deviceTypeId: plain.id }, T0);
    await f.store.upsertDevice({ id: '00AA11-GW500-SN0002', oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0002' }, T0);
    for (const username of ['nobody', ID, '00AA11-GW500-SN0002']) {
      const reply = parseErrorReply(await call(f.subjects.registry.stunDevice, { username }));
      expect(reply.ok && reply.value.error.code).toBe('NOT_FOUND');
    }
  });

  it('answers INVALID_PAYLOAD for a request without a username', async () => {
    const reply = parseErrorReply(await call(f.subjects.registry.stunDevice, { user: ID }));
    expect(reply.ok && reply.value.error.code).toBe('INVALID_PAYLOAD');
  });

  it('reads the device every time and the type from a cache that expires', async () => {
    await f.store.upsertDevice({ ...identity, deviceTypeId: stunType.id }, T0);
    const reads = { device: 0, type: 0 };
    const getDevice = f.store.getDevice.bind(f.store);
    const getDeviceType = f.store.getDeviceType.bind(f.store);
    f.store.getDevice = async (id) => (reads.device++, getDevice(id));
    f.store.getDeviceType = async (id) => (reads.type++, getDeviceType(id));
    for (let i = 0; i < 3; i++) await f.registry.stunDevice({ username: ID });
    expect(reads).toEqual({ device: 3, type: 1 });
    await f.store.updateDeviceType(stunType.id, { connectionRequestPolicy: { stun: { requireAuth: true } } }, T0);
    f.advance(11_000);
    expect(await f.registry.stunDevice({ username: ID })).toMatchObject({ requireAuth: true, maximumKeepAlivePeriod: 120 });
    expect(reads.type).toBe(2);
  });
});

describe('STUN binding events', () => {
  let consumer: StunBindingConsumer;
  let nbi: NbiHarness;
  let logLines: string[];
  const letters: DeadLetter[] = [];
  let dlq: Consumer;

  beforeEach(async () => {
    logLines = [];
    const logger = createLogger({ service: 'bindings-test', level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
    // One at a time, so the tests can tell when earlier events were settled (the last one's effect is visible).
    consumer = createStunBindingConsumer({ store: f.store, bus: f.bus, subjects: f.subjects, logger, clock: f.now, concurrency: 1 });
    await consumer.start();
    letters.length = 0;
    dlq = await f.bus.consume(
      f.subjects.streams.deadLetters.name,
      'test-dlq',
      async (msg) => {
        const parsed = parseDeadLetter(JSON.parse(Buffer.from(msg.data).toString('utf8')));
        if (parsed.ok) letters.push(parsed.value);
        await msg.ack();
      },
      { ackWaitMs: 5_000, maxDeliver: 1 },
    );
    nbi = await startNbiHarness(f.store);
  });
  afterEach(async () => {
    await consumer.stop();
    await dlq.stop();
    await nbi.close();
  });

  const binding = (fields: Partial<StunBindingEvent> = {}): StunBindingEvent => ({
    deviceId: ID,
    host: '198.51.100.7',
    port: 40123,
    observedAt: new Date(T0 + 1_000).toISOString(),
    reason: 'new',
    replica: 'stun-0',
    ...fields,
  });
  const publish = (event: object, subject = f.subjects.evt.stunBinding(ID)) => f.bus.publishDurable(subject, event, { msgId: JSON.stringify(event) });

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setImmediate(r));
    }
  }
  const shown = async () => DeviceSchema.parse((await nbi.call('GET', `/api/v1/devices/${enc(ID)}`)).json).connectionRequest;
  const addressIs = (address: string) => until(address, async () => ((await shown()).udpConnectionRequestAddress === address ? shown() : undefined));

  it('stores host:port (IPv6 in brackets) as the device UDP address, dated by the event, leaving NATDetected alone', async () => {
    await f.store.upsertDevice({ ...identity, connectionRequest: { natDetected: true } }, T0);
    await publish(binding());
    expect(await addressIs('198.51.100.7:40123')).toMatchObject({ udpConnectionRequestAddressSeenAt: T0 + 1_000, natDetected: true });
    await publish(binding({ host: '2001:db8::7', port: 5000, reason: 'moved', previous: { host: '198.51.100.7', port: 40123 }, observedAt: new Date(T0 + 2_000).toISOString() }));
    expect(await addressIs('[2001:db8::7]:5000')).toMatchObject({ udpConnectionRequestAddressSeenAt: T0 + 2_000 });
  });

  it('ignores a binding older than the address the registry already heard (a replay), and follows a newer Inform', async () => {
    await f.store.upsertDevice({ ...identity, connectionRequest: { udpConnectionRequestAddress: '203.0.113.9:7000', udpConnectionRequestAddressSeenAt: T0 + 5_000 } }, T0);
    await publish(binding({ observedAt: new Date(T0 + 4_000).toISOString() }));
    await publish(binding({ port: 40124, observedAt: new Date(T0 + 6_000).toISOString() }));
    expect(await addressIs('198.51.100.7:40124')).toMatchObject({ udpConnectionRequestAddressSeenAt: T0 + 6_000 });
  });

  it('dead-letters an invalid event or one whose subject names another device, and acks an unknown device logging it once', async () => {
    await f.store.upsertDevice(identity, T0);
    await publish({ deviceId: ID, host: 'not-an-ip', port: 0 });
    await publish(binding({ deviceId: '00AA11-GW500-OTHER' }));
    await until('two dead letters', async () => (letters.length >= 2 ? letters : undefined));
    expect(letters.map((l) => [l.subject, l.reason])).toEqual([
      [f.subjects.evt.stunBinding(ID), 'INVALID_PAYLOAD'],
      [f.subjects.evt.stunBinding(ID), 'INVALID_PAYLOAD'],
    ]);
    const ghost = '00AA11-GW500-GHOST';
    await publish(binding({ deviceId: ghost }), f.subjects.evt.stunBinding(ghost));
    await publish(binding({ deviceId: ghost, port: 40999 }), f.subjects.evt.stunBinding(ghost));
    // A last, valid binding is stored only after the ones before it were settled (the consumer takes them in order).
    await publish(binding({ port: 41000 }));
    await addressIs('198.51.100.7:41000');
    expect(await f.store.getDevice(ghost)).toBeNull();
    expect(logLines.filter((l) => l.includes('STUN binding of an unknown device'))).toHaveLength(1);
  });

  it('writes IPv4 plainly and IPv6 in brackets', () => {
    expect(udpAddressOf('192.0.2.1', 80)).toBe('192.0.2.1:80');
    expect(udpAddressOf('::1', 3478)).toBe('[::1]:3478');
  });
});
