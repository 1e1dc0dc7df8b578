import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createMemoryBus, MemoryBroker, withHeaders, type Bus } from '@acs/bus';
import { createSubjects, parseNextActionRequest, type NextActionRequest } from '@acs/contracts';
import { BusRegistryClient } from './bus-registry-client.js';
import { RegistryError } from './errors.js';

const subjects = createSubjects('acs');
const DEVICE = { manufacturer: 'Acme', oui: '00A0C5', productClass: 'GW', serialNumber: 'S1' };

let broker: MemoryBroker;
let registrySide: Bus;
let gatewaySide: Bus;
let client: BusRegistryClient;

beforeEach(() => {
  broker = new MemoryBroker();
  registrySide = createMemoryBus({ broker });
  gatewaySide = createMemoryBus({ broker });
  client = new BusRegistryClient({ bus: gatewaySide, subjects, timeoutMs: 200 });
});
afterEach(async () => {
  await registrySide.close();
  await gatewaySide.close();
});

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof RegistryError)) throw new Error(`expected a RegistryError, got ${String(e)}`);
  return e;
}

describe('BusRegistryClient', () => {
  it('sends each call as JSON on its registry subject and returns the validated reply', async () => {
    const seen: NextActionRequest[] = [];
    registrySide.serve(subjects.registry.sessionNext, (msg) => {
      const req = parseNextActionRequest(JSON.parse(Buffer.from(msg.data).toString('utf8')));
      if (!req.ok) throw req.error;
      seen.push(req.value);
      return { action: 'rpc', taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'k' } };
    });
    registrySide.serve(subjects.registry.credentialsVerify, () => ({ ok: false, reason: 'bad_password' }));
    await expect(client.nextAction({ sessionId: 's-1', deviceId: 'd-1' })).resolves.toEqual({
      action: 'rpc',
      taskId: 't-1',
      rpc: { name: 'Reboot', commandKey: 'k' },
    });
    expect(seen).toEqual([{ sessionId: 's-1', deviceId: 'd-1' }]);
    // A rejected login is an expected outcome: a value, not an error.
    await expect(
      client.verifyCredentials({ deviceId: 'd-1', deviceIdStruct: DEVICE, username: 'u', proof: { scheme: 'basic', password: 'p' }, sourceIp: '127.0.0.1' }),
    ).resolves.toEqual({ ok: false, reason: 'bad_password' });
  });

  it('turns an ErrorReply into a RegistryError with its code', async () => {
    registrySide.serve(subjects.registry.informRecord, () => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'shutting down' } }));
    registrySide.serve(subjects.registry.sessionResult, () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'no such task' } }));
    const e = await rejection(client.recordInform({} as never));
    expect(e).toMatchObject({ name: 'RegistryError', code: 'UNAVAILABLE', subject: subjects.registry.informRecord, retryable: true });
    const nf = await rejection(client.recordResult({ sessionId: 's', deviceId: 'd', taskId: 't', method: 'Reboot', outcome: { timeout: true } }));
    expect(nf).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });

  it('turns a handler crash (INTERNAL reply) and a micro-service error header into RegistryErrors', async () => {
    registrySide.serve(subjects.registry.sessionNext, () => {
      throw new Error('boom');
    });
    registrySide.serve(subjects.registry.sessionCpeRequest, () => withHeaders(new Uint8Array(), { 'Nats-Service-Error-Code': '503', 'Nats-Service-Error': 'UNAVAILABLE' }));
    expect(await rejection(client.nextAction({ sessionId: 's', deviceId: 'd' }))).toMatchObject({ code: 'INTERNAL', retryable: true });
    expect(await rejection(client.cpeRequest({ sessionId: 's', deviceId: 'd', request: { name: 'GetRPCMethods' } }))).toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('rejects replies that break the contract, and transport failures, as typed errors', async () => {
    registrySide.serve(subjects.registry.sessionNext, () => ({ action: 'dance' }));
    registrySide.serve(subjects.registry.sessionResult, () => new TextEncoder().encode('not json'));
    expect(await rejection(client.nextAction({ sessionId: 's', deviceId: 'd' }))).toMatchObject({ code: 'INVALID_REPLY', retryable: false });
    expect(await rejection(client.recordResult({ sessionId: 's', deviceId: 'd', taskId: 't', method: 'Reboot', outcome: { timeout: true } }))).toMatchObject({
      code: 'INVALID_REPLY',
    });
    // Nobody serves this subject.
    expect(await rejection(client.cpeRequest({ sessionId: 's', deviceId: 'd', request: { name: 'GetRPCMethods' } }))).toMatchObject({
      code: 'NO_RESPONDERS',
      retryable: true,
    });
  });

  it('times out a registry that never answers', async () => {
    registrySide.serve(subjects.registry.sessionNext, () => new Promise<object>(() => {}));
    const started = Date.now();
    const e = await rejection(client.nextAction({ sessionId: 's', deviceId: 'd' }));
    expect(e).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
