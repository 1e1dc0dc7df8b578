import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats, type NatsServer } from '../src/index.js';

describe('nats-server with JetStream', () => {
  let server: NatsServer;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    server = await startNats();
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('keeps a durable consumer\'s position across a server restart', async () => {
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ACS_COMMANDS', subjects: ['acs.cmd.>'] });
    const js = jetstream(nc);
    const first = await js.publish('acs.cmd.poke', JSON.stringify({ deviceId: 'dev-1', requestId: 'r1' }), { msgID: 'r1' });
    const dup = await js.publish('acs.cmd.poke', JSON.stringify({ deviceId: 'dev-1', requestId: 'r1' }), { msgID: 'r1' });
    await js.publish('acs.cmd.poke', JSON.stringify({ deviceId: 'dev-2', requestId: 'r2' }), { msgID: 'r2' });
    expect(dup).toMatchObject({ duplicate: true, seq: first.seq });

    await jsm.consumers.add('ACS_COMMANDS', { durable_name: 'router', ack_policy: AckPolicy.Explicit });
    const consumer = await js.consumers.get('ACS_COMMANDS', 'router');
    const m1 = await consumer.next({ expires: 5_000 });
    expect(m1?.json()).toEqual({ deviceId: 'dev-1', requestId: 'r1' });
    expect(await m1?.ackAck()).toBe(true);

    await nc.close();
    await server.restart();
    nc = await connect({ servers: server.url });
    const again = await jetstream(nc).consumers.get('ACS_COMMANDS', 'router');
    const m2 = await again.next({ expires: 5_000 });
    expect(m2?.json()).toEqual({ deviceId: 'dev-2', requestId: 'r2' });
    expect(m2?.info.deliveryCount).toBe(1);
    expect(m2?.seq).toBe(2);
    m2?.ack();
    expect((await again.info()).num_pending).toBe(0);
  });
});
