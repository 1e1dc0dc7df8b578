import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createMemoryBus } from '@acs/bus';
import { createSubjects, decodeJson, deviceIdFromParts, type ConnreqEvent } from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { createMemoryTokenStore, type TokenStore } from './nbi/index.js';
import { createSecretBox } from './secrets.js';
import { createRegistryService, type RegistryService, type RegistryServiceSettings } from './service.js';
import { createSqliteDeviceStore } from './store/sqlite/sqlite-device-store.js';

const store = createSqliteDeviceStore({ filename: ':memory:' });
const bus = createMemoryBus();
const subjects = createSubjects('svc');
const secretBox = createSecretBox(randomBytes(32).toString('base64'));
const logger = createLogger({ service: 'registry-service-test', level: 'silent' });

let running: RegistryService | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function start(tokens: TokenStore, settings: Partial<RegistryServiceSettings> = {}) {
  running = createRegistryService({ store, bus, subjects, secretBox, logger, tokens }, { realm: 'svc', nbi: { host: '127.0.0.1', port: 0 }, transports: ['http'], ...settings });
  return running.start();
}

describe('createRegistryService', () => {
  it('serves the NBI with a first-start admin token, the bus endpoints with the onboarding type, and routes pokes', async () => {
    const tokens = createMemoryTokenStore();
    const started = await start(tokens, { onboarding: { username: 'lab', password: 'lab-password' } });
    expect(started.nbiUrl).toBe(`http://127.0.0.1:${started.address.port}/api/v1`);
    expect(started.adminToken).toEqual(expect.any(String));
    const devices = await fetch(`${started.nbiUrl}/devices`, { headers: { authorization: `Bearer ${started.adminToken}` } });
    expect(devices.status).toBe(200);

    const deviceIdStruct = { manufacturer: 'ACME', oui: '00AA11', productClass: 'GW', serialNumber: 'S1' };
    const reply = await bus.request(subjects.registry.credentialsVerify, {
      deviceId: deviceIdFromParts('00AA11', 'GW', 'S1'),
      deviceIdStruct,
      username: 'lab',
      proof: { scheme: 'basic', password: 'lab-password' },
      sourceIp: '127.0.0.1',
    }, { timeoutMs: 5_000 });
    const verified = decodeJson(reply.data);
    expect(verified.ok && verified.value).toMatchObject({ ok: true, scope: 'type' });

    const ghost = deviceIdFromParts('00AA11', 'GW', 'NOBODY');
    const event = new Promise<ConnreqEvent>((resolve) =>
      bus.subscribe(subjects.evt.connreq(ghost), (m) => {
        const decoded = decodeJson(m.data);
        if (decoded.ok) resolve(decoded.value as ConnreqEvent);
      }),
    );
    await bus.publishDurable(subjects.cmd.poke, { deviceId: ghost, requestId: 'svc-poke' }, { msgId: 'svc-poke' });
    expect(await event).toMatchObject({ requestId: 'svc-poke', outcome: 'no_route' });
  });

  it('with udp deployed: STUN credentials wired to connreq-stun, its lookups answered, its bindings stored; without, no STUN credentials', async () => {
    await start(createMemoryTokenStore(), { transports: ['http', 'udp'] });
    expect((running as RegistryService).registry.deps.stunCredentials).toBeDefined();
    const id = deviceIdFromParts('00AA11', 'GW', 'UDP1');
    const type = await store.createDeviceType({ name: 'svc-stun', connectionRequestPolicy: { stun: {} } }, Date.now());
    await store.upsertDevice({ id, oui: '00AA11', productClass: 'GW', serialNumber: 'UDP1', deviceTypeId: type.id }, Date.now());
    const lookup = decodeJson((await bus.request(subjects.registry.stunDevice, { username: id }, { timeoutMs: 5_000 })).data);
    expect(lookup.ok && lookup.value).toEqual({ deviceId: id, requireAuth: true, maximumKeepAlivePeriod: 120 });
    const observedAt = new Date().toISOString();
    await bus.publishDurable(subjects.evt.stunBinding(id), { deviceId: id, host: '127.0.0.1', port: 40001, observedAt, reason: 'new', replica: 'r0' }, { msgId: 'svc-binding' });
    const deadline = Date.now() + 2_000;
    while ((await store.getDevice(id))?.connectionRequest.udpConnectionRequestAddress !== '127.0.0.1:40001') {
      if (Date.now() > deadline) throw new Error('binding not stored');
      await new Promise((r) => setImmediate(r));
    }
    await (running as RegistryService).stop();

    await start(createMemoryTokenStore(), { transports: ['http'] });
    expect((running as RegistryService).registry.deps.stunCredentials).toBeUndefined();
  });

  it('creates no token when one is configured or already stored, and stops once however often called', async () => {
    const tokens = createMemoryTokenStore();
    const configured = await start(tokens, { adminToken: 'a-configured-admin-token' });
    expect(configured.adminToken).toBeUndefined();
    expect((await fetch(`${configured.nbiUrl}/devices`, { headers: { authorization: 'Bearer a-configured-admin-token' } })).status).toBe(200);
    const unit = running as RegistryService;
    const stopping = unit.stop();
    expect(unit.stop()).toBe(stopping);
    await stopping;
    await expect(fetch(`${configured.nbiUrl}/devices`)).rejects.toThrow();

    await tokens.create('admin');
    expect((await start(tokens)).adminToken).toBeUndefined();
  });
});
