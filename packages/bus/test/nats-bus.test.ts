import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, type NatsServer } from '@acs/testkit';
import type { Status } from '@nats-io/nats-core';
import { describeBusContract } from '../src/bus.contract.js';
import { createNatsBus } from '../src/nats-bus.js';

let server: NatsServer;

beforeAll(async () => {
  server = await startNats();
});

afterAll(async () => {
  await server?.stop();
});

const connect = () => createNatsBus({ servers: server.url, reconnectTimeWaitMs: 100, pullExpiresMs: 2_000, publishAttemptTimeoutMs: 500 });

describeBusContract('NatsBus', connect, { restartServer: () => server.restart(), restartTimeoutMs: 20_000 });

describe('NatsBus specifics', () => {
  it('registers serveService as a NATS micro service that $SRV discovery finds', async () => {
    const bus = await connect();
    try {
      const handle = await bus.serveService({ name: 'acs-contract-svc', version: '1.2.3', description: 'discovery test' }, [
        { name: 'hello', subject: 'svcdisc.hello', handler: () => ({ hi: true }) },
      ]);
      const info = JSON.parse(new TextDecoder().decode((await bus.request('$SRV.INFO.acs-contract-svc', {}, { timeoutMs: 2_000 })).data)) as {
        name: string;
        version: string;
        endpoints: { name: string; subject: string; queue_group: string }[];
      };
      expect(info.name).toBe('acs-contract-svc');
      expect(info.version).toBe('1.2.3');
      expect(info.endpoints).toEqual([expect.objectContaining({ name: 'hello', subject: 'svcdisc.hello', queue_group: 'acs-contract-svc' })]);
      await handle.stop();
    } finally {
      await bus.close();
    }
  });

  it('reports disconnect and reconnect through onStatus and keeps the connection alive', async () => {
    const seen: Status['type'][] = [];
    const bus = await createNatsBus({ servers: server.url, reconnectTimeWaitMs: 100, onStatus: (s) => void seen.push(s.type) });
    try {
      await server.restart();
      const deadline = Date.now() + 15_000;
      while (!seen.includes('reconnect') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toContain('disconnect');
      expect(seen).toContain('reconnect');
      await bus.flush();
      expect(bus.connection.isClosed()).toBe(false);
    } finally {
      await bus.close();
    }
  });
});
