import { describe, expect, it } from '@jest/globals';
import { createMemoryBus } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { createMemoryKv } from '@acs/kv';
import { createLogger } from '@acs/telemetry';
import { FakeRegistry } from '../test/support/fake-registry.js';
import { DEFAULT_SETTINGS } from './gateway.js';
import { createGatewayService } from './service.js';

const kv = createMemoryKv({ sweepIntervalMs: 0 });
const bus = createMemoryBus();

function service(overrides: Partial<Parameters<typeof createGatewayService>[1]> = {}) {
  return createGatewayService(
    { registry: new FakeRegistry(), kv, bus, subjects: createSubjects('acs'), logger: createLogger({ service: 't', level: 'silent' }) },
    { gateway: { ...DEFAULT_SETTINGS, path: '/acs/', nonceSecret: 'n'.repeat(16) }, listen: { host: '127.0.0.1', port: 0 }, ...overrides },
  );
}

describe('createGatewayService', () => {
  it('listens on the given port (0: a free one) and names the CWMP endpoint; stop closes it, once however often called', async () => {
    const unit = service();
    const { url, address, tls } = await unit.start();
    expect(url).toBe(`http://127.0.0.1:${address.port}/acs/`);
    expect(tls).toBe(false);
    expect((await fetch(new URL('/healthz', url))).status).toBe(200);
    const stopping = unit.stop();
    expect(unit.stop()).toBe(stopping);
    await stopping;
    await expect(fetch(new URL('/healthz', url))).rejects.toThrow();
  });

  it('fails in start, not in the factory, when the TLS files cannot be read', async () => {
    const unit = service({ tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } });
    await expect(unit.start()).rejects.toMatchObject({ code: 'ENOENT' });
    await unit.stop();
  });
});
