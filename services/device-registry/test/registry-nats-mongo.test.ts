import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNatsBus, type NatsBus } from '@acs/bus';
import {
  createSubjects,
  decodeJson,
  deviceIdFromParts,
  parseCpeRequestReply,
  parseErrorReply,
  parseNextActionReply,
  parseRecordInformReply,
  parseRecordResultReply,
  parseVerifyCredentialsReply,
  type RecordInformRequest,
} from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { startFerretDb, startNats, type FerretDbServer, type NatsServer } from '@acs/testkit';
import { createRegistry } from '../src/registry.js';
import { createSecretBox, hashForBasic, hashForDigest } from '../src/secrets.js';
import { createMongoDeviceStore, type MongoDeviceStore } from '../src/store/mongo/mongo-device-store.js';

// The registry as deployed: served on a real NATS in its queue group, persisting in a real
// MongoDB-wire server (FerretDB); the client speaks JSON request/reply like the gateway does.
let nats: NatsServer;
let ferret: FerretDbServer;
let store: MongoDeviceStore;
let serverBus: NatsBus;
let clientBus: NatsBus;
const subjects = createSubjects('itest');
const REALM = 'itest';
const cpe = { manufacturer: 'ACME', oui: '00AA11', productClass: 'GW500', serialNumber: 'IT-0001' };
const deviceId = deviceIdFromParts(cpe.oui, cpe.productClass, cpe.serialNumber);

beforeAll(async () => {
  [nats, ferret] = await Promise.all([startNats(), startFerretDb()]);
  store = await createMongoDeviceStore({ uri: ferret.url, dbName: `acs_registry_${randomBytes(4).toString('hex')}` });
  serverBus = await createNatsBus({ servers: nats.url, name: 'registry-itest' });
  clientBus = await createNatsBus({ servers: nats.url, name: 'gateway-itest' });
  const registry = createRegistry({
    store,
    bus: serverBus,
    subjects,
    secretBox: createSecretBox(randomBytes(32).toString('base64')),
    realm: REALM,
    logger: createLogger({ service: 'registry-itest', level: 'silent' }),
  });
  await registry.registerEndpoints();
  await serverBus.flush();
}, 90_000);

afterAll(async () => {
  await clientBus?.close();
  await serverBus?.close();
  await store?.close();
  await Promise.all([nats?.stop(), ferret?.stop()]);
});

async function call(subject: string, payload: object | Uint8Array): Promise<unknown> {
  const reply = await clientBus.request(subject, payload, { timeoutMs: 10_000 });
  const json = decodeJson(reply.data);
  if (!json.ok) throw json.error;
  return json.value;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('device-registry over NATS with MongoDB (FerretDB)', () => {
  it('announces itself as the acs-registry NATS micro service with its six endpoints', async () => {
    const info = JSON.parse(new TextDecoder().decode((await clientBus.request('$SRV.INFO.acs-registry', {}, { timeoutMs: 5_000 })).data)) as {
      name: string;
      endpoints: { name: string; subject: string; queue_group: string }[];
    };
    expect(info.name).toBe('acs-registry');
    expect(info.endpoints.map((e) => e.subject).sort()).toEqual(
      [
        subjects.registry.credentialsVerify,
        subjects.registry.informRecord,
        subjects.registry.sessionCpeRequest,
        subjects.registry.sessionNext,
        subjects.registry.sessionResult,
        subjects.registry.stunDevice,
      ].sort(),
    );
    expect(new Set(info.endpoints.map((e) => e.queue_group))).toEqual(new Set(['acs-registry']));
  });

  it("answers connreq-stun's lookup of an unknown STUN username with the NOT_FOUND error reply", async () => {
    expect(await call(subjects.registry.stunDevice, { username: 'nobody-here' })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no device nobody-here' } });
  });

  it('verifies credentials, records an Inform, turns a task into an RPC and stores its result in Mongo', async () => {
    const password = 'it-pass-123';
    await store.upsertDevice({ id: deviceId, oui: cpe.oui, productClass: cpe.productClass, serialNumber: cpe.serialNumber }, Date.now());
    await store.createCredential(
      { username: 'it-user', scope: { kind: 'device', deviceId }, realm: REALM, ha1: hashForDigest('it-user', REALM, password), basicHash: await hashForBasic(password) },
      Date.now(),
    );
    const nonce = 'n-1';
    const response = md5(`${md5(`it-user:${REALM}:${password}`)}:${nonce}:00000001:c1:auth:${md5('POST:/cwmp/')}`);
    const verified = parseVerifyCredentialsReply(
      await call(subjects.registry.credentialsVerify, {
        deviceId,
        deviceIdStruct: cpe,
        username: 'it-user',
        proof: { scheme: 'digest', realm: REALM, nonce, uri: '/cwmp/', method: 'POST', qop: 'auth', nc: '00000001', cnonce: 'c1', response },
        sourceIp: '127.0.0.1',
      }),
    );
    expect(verified).toMatchObject({ ok: true, value: { ok: true, scope: 'device' } });
    const credentialId = verified.ok && verified.value.ok ? verified.value.credentialId : '';

    const inform: RecordInformRequest = {
      sessionId: 'it-s1',
      deviceId,
      cwmpVersion: '1.2',
      inform: {
        name: 'Inform',
        deviceId: cpe,
        event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
        maxEnvelopes: 1,
        currentTime: '2026-01-01T00:00:00Z',
        retryCount: 0,
        parameterList: [
          { name: 'Device.DeviceInfo.SoftwareVersion', value: '5.3.0', type: 'string' },
          { name: 'Device.ManagementServer.ConnectionRequestURL', value: 'http://127.0.0.1:7547/cr', type: 'string' },
        ],
      },
      sourceIp: '127.0.0.1',
      auth: { scope: 'device', credentialId, username: 'it-user' },
      receivedAt: new Date().toISOString(),
    };
    expect(parseRecordInformReply(await call(subjects.registry.informRecord, inform))).toEqual({ ok: true, value: { deviceId, registered: false } });
    expect((await store.getDevice(deviceId))?.connectionRequest.connectionRequestURL).toBe('http://127.0.0.1:7547/cr');
    expect((await store.getParameters(deviceId, 'Device.DeviceInfo.SoftwareVersion'))[0]?.value).toBe('5.3.0');

    const [task] = await store.createTasks(deviceId, [{ type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.UpTime'] } }], Date.now());
    const next = parseNextActionReply(await call(subjects.registry.sessionNext, { sessionId: 'it-s1', deviceId }));
    expect(next).toEqual({ ok: true, value: { action: 'rpc', taskId: task!.id, rpc: { name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] } } });

    const result = parseRecordResultReply(
      await call(subjects.registry.sessionResult, {
        sessionId: 'it-s1',
        deviceId,
        taskId: task!.id,
        method: 'GetParameterValues',
        outcome: { response: { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '3600', type: 'unsignedInt' }] } },
      }),
    );
    expect(result).toEqual({ ok: true, value: { ok: true } });
    expect((await store.getParameters(deviceId, 'Device.DeviceInfo.UpTime'))[0]).toMatchObject({ value: '3600', type: 'xsd:unsignedInt' });
    expect(await store.getTask(task!.id)).toMatchObject({ status: 'done', result: { parameters: 1 } });
    expect(parseNextActionReply(await call(subjects.registry.sessionNext, { sessionId: 'it-s1', deviceId }))).toEqual({ ok: true, value: { action: 'none' } });

    const cpeReply = parseCpeRequestReply(await call(subjects.registry.sessionCpeRequest, { sessionId: 'it-s1', deviceId, request: { name: 'GetRPCMethods' } }));
    expect(cpeReply.ok && 'response' in cpeReply.value && cpeReply.value.response.name).toBe('GetRPCMethodsResponse');
  });

  it('answers an invalid payload with INVALID_PAYLOAD and keeps serving', async () => {
    const bad = parseErrorReply(await call(subjects.registry.informRecord, { sessionId: 'x', deviceId }));
    expect(bad.ok && bad.value.error.code).toBe('INVALID_PAYLOAD');
    const garbage = parseErrorReply(await call(subjects.registry.sessionNext, new Uint8Array([0xff, 0xfe, 0x00])));
    expect(garbage.ok && garbage.value.error.code).toBe('INVALID_PAYLOAD');
    expect(await call(subjects.registry.sessionNext, { sessionId: 'it-s2', deviceId })).toEqual({ action: 'none' });
  });
});
