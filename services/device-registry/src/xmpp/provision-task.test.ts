// The provisionXmpp system task, step by step against a scripted CPE; the XMPP accounts are a recording fake of the
// port (the real one, over the bus to connreq-xmpp and Prosody, is covered by the e2e suite).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AcsRequest, CpeResponse } from '@acs/cwmp';
import { profileParameterKey } from '../profiles.js';
import { cpeId, informRequest, makeFixture, type Fixture, type TestCpe } from '../registry.fixture.js';
import type { DeviceType, Task } from '../store/types.js';
import { XmppAccountError, xmppUsernameFor, type XmppAccount, type XmppAccounts } from './accounts.js';
import { lowestInstance } from './provision-task.js';

const GW: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };
const IGD: TestCpe = { oui: '00AA11', productClass: 'IGD', serialNumber: 'T-98', root: 'InternetGatewayDevice.' };
const auth = { scope: 'device' as const, credentialId: 'c1', username: 'u' };
const ACCOUNT: XmppAccount = { jid: 'x@acs.test', domain: 'acs.test', server: { address: '127.0.0.1', port: 5333 }, useTLS: true, allowedJids: ['acs@acs.test'] };

class RecordingAccounts implements XmppAccounts {
  readonly ensured: { username: string; password: string }[] = [];
  readonly removed: string[] = [];
  failing = false;
  async ensure(username: string, password: string): Promise<XmppAccount> {
    if (this.failing) throw new XmppAccountError('no answer from connreq-xmpp');
    this.ensured.push({ username, password });
    return { ...ACCOUNT, jid: `${username}@acs.test` };
  }
  async remove(username: string): Promise<void> {
    this.removed.push(username);
  }
}

let f: Fixture;
let accounts: RecordingAccounts;
let type: DeviceType;
beforeEach(async () => {
  accounts = new RecordingAccounts();
  f = await makeFixture({}, { xmppAccounts: accounts });
  type = await f.store.createDeviceType(
    {
      name: 'xmpp-gateways',
      match: { oui: '00AA11' },
      onboarding: false,
      profile: [{ path: 'ManagementServer.PeriodicInformInterval', value: '600', type: 'xsd:unsignedInt' }],
      connectionRequestCredentials: { mode: 'generate', usernameTemplate: 'cr-{serialNumber}', passwordLength: 20 },
      connectionRequestPolicy: { xmpp: { keepAliveInterval: 300 } },
    },
    f.now(),
  );
});
afterEach(async () => {
  await f.close();
});

async function bootstrap(cpe: TestCpe, sessionId = 's1'): Promise<void> {
  await f.registry.recordInform(informRequest(f, cpe, { sessionId, events: ['0 BOOTSTRAP', '1 BOOT'], auth }));
}

/** Runs the session's RPCs, answering each with `cpe(rpc)`, until the registry has nothing left; returns what was sent. */
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

/** A CPE whose XMPP tables hold the given instances; AddObject answers `added`; everything else succeeds. */
function scriptedCpe(root: string, tables: { connections: number[]; servers: number[]; added?: number }) {
  return (rpc: AcsRequest): CpeResponse | { fault: string } => {
    switch (rpc.name) {
      case 'GetParameterNames': {
        const list = rpc.parameterPath.endsWith('.Server.') ? tables.servers : rpc.parameterPath === `${root}XMPP.Connection.` ? tables.connections : [];
        return { name: 'GetParameterNamesResponse', parameterList: list.map((n) => ({ name: `${rpc.parameterPath}${n}.`, writable: true })) };
      }
      case 'AddObject':
        return { name: 'AddObjectResponse', instanceNumber: tables.added ?? 1, status: 0 };
      case 'SetParameterValues':
        return { name: 'SetParameterValuesResponse', status: 0 };
      default:
        return { name: 'GetParameterValuesResponse', parameterList: [] };
    }
  };
}

const xmppTasks = async (cpe: TestCpe): Promise<Task[]> => (await f.store.listTasks({ deviceId: cpeId(cpe) })).items.filter((t) => t.type === 'provisionXmpp');

describe('provisionXmpp', () => {
  it('is queued with the profile on bootstrap, carrying the profile key, between the profile and discovery', async () => {
    await bootstrap(GW);
    const pending = (await f.store.listTasks({ deviceId: cpeId(GW), status: ['pending'] })).items;
    const kinds = pending.sort((a, b) => b.priority - a.priority).map((t) => t.type);
    expect(kinds).toEqual(['setParameterValues', 'provisionXmpp', 'refresh']);
    const [task] = await xmppTasks(GW);
    expect(task?.args).toEqual({ root: 'Device.', keepAliveInterval: 300, parameterKey: profileParameterKey(type) });
    // A second boot while it is still queued adds nothing.
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's2', events: ['1 BOOT'], auth }));
    expect(await xmppTasks(GW)).toHaveLength(1);
  });

  it('uses the existing connection, adds a server entry, creates the account, then sets everything in one SPV', async () => {
    // A known device that boots: the profile is applied, no discovery refresh rewrites the tree afterwards.
    await f.store.upsertDevice({ id: cpeId(GW), oui: GW.oui, productClass: GW.productClass, serialNumber: GW.serialNumber, deviceTypeId: type.id }, f.now());
    await f.registry.recordInform(informRequest(f, GW, { sessionId: 's1', events: ['1 BOOT'], auth }));
    const sent = await runSession(GW, scriptedCpe('Device.', { connections: [3, 2], servers: [], added: 4 }));
    const xmpp = sent.filter((r) => r.name !== 'SetParameterValues' || r.parameterList.some((p) => p.name.includes('XMPP')));
    const steps = xmpp.filter((r) => r.name !== 'GetParameterNames' || r.parameterPath.includes('XMPP'));
    expect(steps.slice(0, 3)).toEqual([
      { name: 'GetParameterNames', parameterPath: 'Device.XMPP.Connection.', nextLevel: true },
      { name: 'GetParameterNames', parameterPath: 'Device.XMPP.Connection.2.Server.', nextLevel: true },
      { name: 'AddObject', objectName: 'Device.XMPP.Connection.2.Server.', parameterKey: '' },
    ]);
    const spv = steps[3];
    if (spv?.name !== 'SetParameterValues') throw new Error(`expected the SPV, got ${spv?.name}`);
    const username = xmppUsernameFor(cpeId(GW));
    expect(accounts.ensured).toEqual([{ username, password: expect.any(String) }]);
    const values = Object.fromEntries(spv.parameterList.map((p) => [p.name, `${p.value}:${p.type}`]));
    expect(values).toEqual({
      'Device.XMPP.Connection.2.Enable': 'true:boolean',
      'Device.XMPP.Connection.2.Username': `${username}:string`,
      'Device.XMPP.Connection.2.Password': `${accounts.ensured[0]?.password}:string`,
      'Device.XMPP.Connection.2.Domain': 'acs.test:string',
      'Device.XMPP.Connection.2.Resource': 'ConnReq:string',
      'Device.XMPP.Connection.2.UseTLS': 'true:boolean',
      'Device.XMPP.Connection.2.ServerConnectAlgorithm': 'ServerTable:string',
      'Device.XMPP.Connection.2.KeepAliveInterval': '300:long',
      'Device.XMPP.Connection.2.Server.4.Enable': 'true:boolean',
      'Device.XMPP.Connection.2.Server.4.ServerAddress': '127.0.0.1:string',
      'Device.XMPP.Connection.2.Server.4.Port': '5333:unsignedInt',
      'Device.ManagementServer.ConnReqXMPPConnection': 'Device.XMPP.Connection.2:string',
      'Device.ManagementServer.ConnReqAllowedJabberIDs': 'acs@acs.test:string',
    });
    expect(spv.parameterKey).toBe(profileParameterKey(type));
    const [task] = await xmppTasks(GW);
    expect(task).toMatchObject({ status: 'done', result: { connection: 2, server: 4, status: 0 } });
    // The tree learnt the instances it found and added; the password never lands there.
    expect((await f.store.getParameters(cpeId(GW), 'Device.XMPP.')).map((p) => p.path)).toEqual(
      expect.arrayContaining(['Device.XMPP.Connection.2.', 'Device.XMPP.Connection.3.', 'Device.XMPP.Connection.2.Server.4.']),
    );
    const done = await f.waitForEvent(f.subjects.evt.taskDone(cpeId(GW)));
    expect(done.payload).toMatchObject({ name: 'SetParameterValues' });
  });

  it('adds the connection too when a TR-098 CPE has none', async () => {
    await f.store.updateDeviceType(type.id, { match: { oui: '00AA11', productClass: 'IGD' } }, f.now());
    await bootstrap(IGD);
    const sent = await runSession(IGD, scriptedCpe('InternetGatewayDevice.', { connections: [], servers: [], added: 1 }));
    const adds = sent.filter((r) => r.name === 'AddObject').map((r) => (r.name === 'AddObject' ? r.objectName : ''));
    expect(adds).toEqual(['InternetGatewayDevice.XMPP.Connection.', 'InternetGatewayDevice.XMPP.Connection.1.Server.']);
    const spv = sent.find((r) => r.name === 'SetParameterValues' && r.parameterList.some((p) => p.name.includes('ConnReqXMPPConnection')));
    expect(spv?.name === 'SetParameterValues' && spv.parameterList.find((p) => p.name.endsWith('ConnReqXMPPConnection'))?.value).toBe('InternetGatewayDevice.XMPP.Connection.1');
    expect((await xmppTasks(IGD))[0]?.status).toBe('done');
  });

  it('faults with XMPP_ACCOUNT when connreq-xmpp cannot create the account, and is retried in a later session', async () => {
    accounts.failing = true;
    await bootstrap(GW);
    await runSession(GW, scriptedCpe('Device.', { connections: [1], servers: [1] }));
    let [task] = await xmppTasks(GW);
    expect(task).toMatchObject({ status: 'pending', fault: { code: 'XMPP_ACCOUNT' } });
    const faults = await f.store.listFaults({ deviceId: cpeId(GW) });
    expect(faults.items.map((x) => x.code)).toContain('XMPP_ACCOUNT');

    accounts.failing = false;
    await runSession(GW, scriptedCpe('Device.', { connections: [1], servers: [1] }), 's2');
    [task] = await xmppTasks(GW);
    expect(task?.status).toBe('done');
    expect(accounts.ensured).toHaveLength(1);
  });

  it('faults with the CPE fault when the CPE has no XMPP object (9005)', async () => {
    await bootstrap(GW);
    await runSession(GW, (rpc) => (rpc.name === 'GetParameterNames' && rpc.parameterPath.includes('XMPP') ? { fault: '9005' } : scriptedCpe('Device.', { connections: [], servers: [] })(rpc)));
    const [task] = await xmppTasks(GW);
    expect(task?.fault).toEqual({ code: '9005', message: 'Invalid parameter name' });
    expect(accounts.ensured).toHaveLength(0);
  });

  it('is not queued for a type without XMPP, and the profile key of such a type is unchanged by the feature', async () => {
    const plain = await f.store.updateDeviceType(type.id, { connectionRequestPolicy: {} }, f.now());
    expect(plain?.connectionRequestPolicy.xmpp).toBeNull();
    await bootstrap(GW);
    expect(await xmppTasks(GW)).toHaveLength(0);
    expect(profileParameterKey(plain as DeviceType)).not.toBe(profileParameterKey(type));
  });
});

describe('xmpp helpers', () => {
  it('derives a safe, lower-case XMPP username, hashed apart when the id had to change', () => {
    expect(xmppUsernameFor('00aa11-gw500-sn1')).toBe('00aa11-gw500-sn1');
    const a = xmppUsernameFor('00AA11-GW500-SN1');
    const b = xmppUsernameFor('00aa11-GW500-SN1');
    expect(a).toMatch(/^00aa11-gw500-sn1-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(xmppUsernameFor('00AA11-Prod Class@x/y')).toMatch(/^00aa11-prod_class_x_y-[0-9a-f]{8}$/);
  });

  it('finds the lowest direct instance of a table', () => {
    const t = 'Device.XMPP.Connection.';
    expect(lowestInstance(t, [`${t}7.`, `${t}3.`, `${t}3.Server.`, `${t}x.`, 'Device.Other.1.'])).toBe(3);
    expect(lowestInstance(t, [])).toBeNull();
  });
});
