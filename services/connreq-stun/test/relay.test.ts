import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createNatsBus, type Bus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { startNats, type NatsServer } from '@acs/testkit';
import { createRelay } from '../src/relay.js';
import { openUdpPeer, type UdpPeer } from './support/udp-peer.js';

// Two replicas' sockets: B must send through A when A holds the CPE's binding (a restricted NAT admits only A).
describe('relay between connreq-stun replicas on NATS', () => {
  let nats: NatsServer;
  let busA: Bus;
  let busB: Bus;
  let socketA: Socket;
  let socketB: Socket;
  let cpe: UdpPeer;
  const subjects = createSubjects(`t${randomUUID().slice(0, 8)}.acs`);
  const open = async () => {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return s;
  };

  beforeAll(async () => {
    nats = await startNats();
    [busA, busB] = await Promise.all([createNatsBus({ servers: nats.url, name: 'a' }), createNatsBus({ servers: nats.url, name: 'b' })]);
    [socketA, socketB, cpe] = await Promise.all([open(), open(), openUdpPeer()]);
    const relayA = createRelay({ socket: socketA, bus: busA, subjects, replica: 'stun-a', timeoutMs: 1_000 });
    busA.serve(relayA.endpoint.subject, relayA.endpoint.handler);
    await busA.flush();
  }, 30_000);

  afterAll(async () => {
    await cpe?.close();
    for (const s of [socketA, socketB]) s?.close();
    await Promise.all([busA?.close(), busB?.close()]);
    await nats?.stop();
  });

  it('sends from the replica that holds the binding', async () => {
    const relayB = createRelay({ socket: socketB, bus: busB, subjects, replica: 'stun-b', timeoutMs: 1_000 });
    const result = await relayB.send('stun-a', { host: '127.0.0.1', port: cpe.port, datagram: Buffer.from('GET x'), copies: 2, intervalMs: 5 });
    expect(result).toEqual({ via: 'stun-a' });
    const got = await cpe.nonStun(2);
    expect(got.map((g) => g.from.port)).toEqual([socketA.address().port, socketA.address().port]);
  });

  it('sends from its own socket, with a note, when the holder is gone', async () => {
    const relayB = createRelay({ socket: socketB, bus: busB, subjects, replica: 'stun-b', timeoutMs: 300 });
    const before = cpe.received.length;
    const result = await relayB.send('stun-gone', { host: '127.0.0.1', port: cpe.port, datagram: Buffer.from('GET y'), copies: 1, intervalMs: 0 });
    expect(result.note).toContain('stun-gone');
    const got = await cpe.nonStun(before + 1);
    expect(got.at(-1)?.from.port).toBe(socketB.address().port);
  });
});
