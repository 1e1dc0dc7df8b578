// The provisionStun system task against a scripted CPE, with connreq-stun played by a responder on the in-process
// bus (the real busStunCredentials client, so the request/reply and its failure modes are the deployed ones).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Subscription } from '@acs/bus';
import type { StunCredentialsReply } from '@acs/contracts';
import type { AcsRequest, CpeResponse } from '@acs/cwmp';
import { createLogger } from '@acs/telemetry';
import { profileParameterKey, urlSafeUsername } from '../profiles.js';
import { cpeId, informRequest, makeFixture, type Fixture, type TestCpe } from '../registry.fixture.js';
import type { DeviceType, Task } from '../store/types.js';
import { busStunCredentials } from './credentials.js';

const GW: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };
const IGD: TestCpe = { oui: '00AA11', productClass: 'IGD', serialNumber: 'T-98', root: 'InternetGatewayDevice.' };
const auth = { scope: 'device' as const, credentialId: 'c1', username: 'u' };
const PASSWORD = 'stun-Pw-derived-0123456789abcdef';

let f: Fixture;
let type: DeviceType;
let responder: Subscription | undefined;
let issued: string[];
let logLines: string[];

async function setUp(opts: { udp: boolean }): Promise<void> {
  logLines = [];
  const logger = createLogger({ service: 'registry-test', level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  // As createRegistryService wires it with udp: connreq-stun over the fixture's bus (`f` is set before any issue()).
  const stunCredentials = { issue: (deviceId: string) => busStunCredentials(f.bus, f.subjects, 500).issue(deviceId) };
  f = await makeFixture({}, { logger, ...(opts.udp ? { stunCredentials } : {}) });
  type = await f.store.createDeviceType(
    {
      name: 'stun-gateways',
      match: { oui: '00AA11' },
      onboarding: false,
      profile: [{ path: 'ManagementServer.PeriodicInformInterval', value: '600', type: 'xsd:unsignedInt' }],
      connectionRequestPolicy: { stun: { minimumKeepAlivePeriod: 20, maximumKeepAlivePeriod: -1 } },
    },
    f.now(),
  );
}

function answerCredentials(): void {
  issued = [];
  responder = f.bus.serve(f.subjects.stun.credentialsIssue, (msg) => {
    const { deviceId } = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { deviceId: string };
    issued.push(deviceId);
    const reply: StunCredentialsReply = { username: deviceId, password: PASSWORD, server: { address: 'stun.acs.test', port: 3478 } };
    return reply;
  });
}

afterEach(async () => {
  responder?.unsubscribe();
  responder = undefined;
  await f.close();
});

async function boot(cpe: TestCpe, events = ['1 BOOT'], sessionId = 's1'): Promise<void> {
  await f.store.upsertDevice({ id: cpeId(cpe), oui: cpe.oui, productClass: cpe.productClass, serialNumber: cpe.serialNumber, deviceTypeId: type.id }, f.now());
  await f.registry.recordInform(informRequest(f, cpe, { sessionId, events, auth }));
}

async function runSession(cpe: TestCpe, answer: (rpc: AcsRequest) => CpeResponse | { fault: string }, sessionId = 's1'): Promise<AcsRequest[]> {
  const sent: AcsRequest[] = [];
  const deviceId = cpeId(cpe);
  for (let i = 0; i < 20; i++) {
    const reply = await f.registry.nextAction({ sessionId, deviceId });
    if (reply.action !== 'rpc') return sent;
    sent.push(reply.rpc);
    const a = answer(reply.rpc);
    const outcome =
      'fault' in a
        ? { fault: { faultcode: 'Client', faultstring: 'CWMP fault', detail: { faultCode: Number(a.fault), faultString: 'Invalid parameter name', setParameterValuesFault: [] } } }
        : { response: a };
    await f.registry.recordResult({ sessionId, deviceId, taskId: reply.taskId, method: reply.rpc.name, outcome } as never);
  }
  throw new Error('session did not end');
}

const cpeOk = (rpc: AcsRequest): CpeResponse => {
  if (rpc.name === 'SetParameterValues') return { name: 'SetParameterValuesResponse', status: 0 };
  if (rpc.name === 'SetParameterAttributes') return { name: 'SetParameterAttributesResponse' };
  return { name: 'GetParameterValuesResponse', parameterList: [] };
};

const stunTasks = async (cpe: TestCpe): Promise<Task[]> => (await f.store.listTasks({ deviceId: cpeId(cpe) })).items.filter((t) => t.type === 'provisionStun');

/** Every row of every table of the in-memory SQLite store, as text. */
function storeDump(): string {
  const db = (f.store as unknown as { conn: { db: { prepare(sql: string): { all(): unknown[] } } } }).conn.db;
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
  return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM "${t.name}"`).all()));
}

describe('provisionStun', () => {
  beforeEach(async () => {
    await setUp({ udp: true });
    answerCredentials();
  });

  it('is queued with the profile, between the profile and discovery, carrying the key that covers the STUN policy', async () => {
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['0 BOOTSTRAP', '1 BOOT'], auth }));
    const pending = (await f.store.listTasks({ deviceId: cpeId(GW), status: ['pending'] })).items.sort((a, b) => b.priority - a.priority);
    expect(pending.map((t) => [t.type, t.priority])).toEqual([
      ['setParameterValues', 20],
      ['provisionStun', 17],
      ['refresh', 10],
    ]);
    const [task] = await stunTasks(GW);
    expect(task?.args).toEqual({ root: 'Device.', minimumKeepAlivePeriod: 20, maximumKeepAlivePeriod: -1, parameterKey: profileParameterKey(type) });
    expect(profileParameterKey(type)).not.toBe(profileParameterKey(type, { stun: false }));
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['1 BOOT'], auth }));
    expect(await stunTasks(GW)).toHaveLength(1);
  });

  it('asks connreq-stun for the credentials, sets the STUN parameters in one SPV, turns on active notification, and stores the password nowhere', async () => {
    await boot(GW);
    expect(issued).toEqual([]);
    const sent = await runSession(GW, cpeOk);
    const spv = sent.find((r) => r.name === 'SetParameterValues' && r.parameterList.some((p) => p.name.includes('STUN')));
    if (spv?.name !== 'SetParameterValues') throw new Error('no STUN SetParameterValues');
    expect(issued).toEqual([cpeId(GW)]);
    expect(Object.fromEntries(spv.parameterList.map((p) => [p.name, `${p.value}:${p.type}`]))).toEqual({
      'Device.ManagementServer.STUNEnable': 'true:boolean',
      'Device.ManagementServer.STUNServerAddress': 'stun.acs.test:string',
      'Device.ManagementServer.STUNServerPort': '3478:unsignedInt',
      'Device.ManagementServer.STUNUsername': `${cpeId(GW)}:string`,
      'Device.ManagementServer.STUNPassword': `${PASSWORD}:string`,
      'Device.ManagementServer.STUNMinimumKeepAlivePeriod': '20:unsignedInt',
      'Device.ManagementServer.STUNMaximumKeepAlivePeriod': '-1:int',
    });
    expect(spv.parameterKey).toBe(profileParameterKey(type));
    const spa = sent[sent.indexOf(spv) + 1];
    expect(spa).toEqual({
      name: 'SetParameterAttributes',
      parameterList: [{ name: 'Device.ManagementServer.UDPConnectionRequestAddress', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }],
    });
    const [task] = await stunTasks(GW);
    expect(task).toMatchObject({ status: 'done', result: { stunEnabled: true, notification: 2 } });
    const [address] = await f.store.getParameters(cpeId(GW), 'Device.ManagementServer.UDPConnectionRequestAddress');
    expect(address?.notification).toBe(2);
    expect(storeDump()).not.toContain(PASSWORD);
    expect(logLines.join('\n')).not.toContain(PASSWORD);
    expect(logLines.length).toBeGreaterThan(0);
  });

  it('uses the InternetGatewayDevice. root for a TR-098 CPE', async () => {
    await boot(IGD);
    const sent = await runSession(IGD, cpeOk);
    const names = sent.flatMap((r) => (r.name === 'SetParameterValues' || r.name === 'SetParameterAttributes' ? r.parameterList.map((p) => p.name) : []));
    expect(names).toEqual(expect.arrayContaining(['InternetGatewayDevice.ManagementServer.STUNEnable', 'InternetGatewayDevice.ManagementServer.UDPConnectionRequestAddress']));
    expect(names.filter((n) => n.startsWith('Device.'))).toEqual([]);
  });

  it('faults with STUN_CREDENTIALS when connreq-stun does not answer, and is retried in a later session', async () => {
    responder?.unsubscribe();
    responder = undefined;
    await boot(GW);
    const first = await runSession(GW, cpeOk);
    expect(first.some((r) => r.name === 'SetParameterValues' && r.parameterList.some((p) => p.name.includes('STUN')))).toBe(false);
    let [task] = await stunTasks(GW);
    expect(task).toMatchObject({ status: 'pending', fault: { code: 'STUN_CREDENTIALS' } });
    expect((await f.store.listFaults({ deviceId: cpeId(GW) })).items.map((x) => x.code)).toContain('STUN_CREDENTIALS');
    const fault = await f.waitForEvent(f.subjects.evt.taskFault(cpeId(GW)));
    expect(fault.payload).toMatchObject({ name: 'provisionStun', fault: { code: 'STUN_CREDENTIALS' } });

    answerCredentials();
    await runSession(GW, cpeOk, 's2');
    [task] = await stunTasks(GW);
    expect(task?.status).toBe('done');
  });

  it('faults with the CPE fault when the CPE has no STUN parameters (9005), before any SPA', async () => {
    await boot(GW);
    const sent = await runSession(GW, (rpc) => (rpc.name === 'SetParameterValues' && rpc.parameterList.some((p) => p.name.includes('STUN')) ? { fault: '9005' } : cpeOk(rpc)));
    const [task] = await stunTasks(GW);
    expect(task?.fault).toEqual({ code: '9005', message: 'Invalid parameter name' });
    expect(task?.status).toBe('pending');
    expect(sent.some((r) => r.name === 'SetParameterAttributes')).toBe(false);
    expect(storeDump()).not.toContain(PASSWORD);
  });
});

describe('provisionStun without a udp worker', () => {
  beforeEach(async () => {
    await setUp({ udp: false });
  });

  it('is not queued, and the profile key leaves the STUN policy out', async () => {
    await boot(GW);
    expect(await stunTasks(GW)).toHaveLength(0);
    const [profile] = (await f.store.listTasks({ deviceId: cpeId(GW) })).items.filter((t) => t.type === 'setParameterValues');
    expect(profile?.args.parameterKey).toBe(profileParameterKey(type, { stun: false }));
  });
});

describe('generated connection-request usernames', () => {
  it('are URL-safe, since Annex G signs the raw un= of the query', () => {
    expect(urlSafeUsername('cr-SN 00&1#x%2F?é')).toBe('cr-SN_00_1_x_2F__');
    expect(urlSafeUsername('cr-Ab9._~-')).toBe('cr-Ab9._~-');
  });
});
