// One session's exchange: Inform, RPCs and their answers, cwmp:ID, CWMP versions, CPE requests, faults, events.
import { describe, expect, it } from '@jest/globals';
import type { BusMessage } from '@acs/bus';
import type { Fault } from '@acs/cwmp';
import { collect, CREDS, gatewaysStoppedAfterEach, json, parsed, registryWithCpe } from '../test/support/fixtures.js';
import { DEVICE_ID, envelope, informXml, TestCpe, until, type Harness } from '../test/support/harness.js';

const startGateways = gatewaysStoppedAfterEach();
let harness: Harness | undefined;

describe('a session', () => {
  it('carries the poke requestId the registry names into session.started', async () => {
    const registry = registryWithCpe();
    registry.pokeRequestId = 'poke-7';
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    expect((await cpe.open()).status).toBe(200);
    await until(() => sessions.length === 1);
    expect(json(sessions[0] as BusMessage)).toMatchObject({ deviceId: DEVICE_ID, requestId: 'poke-7' });
  });

  it('runs Inform -> InformResponse -> empty -> RPC -> response -> 204, publishing its events', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] } });
    harness = await startGateways(1, { registry });
    const informs = collect(harness, harness.subjects.evt.allInforms);
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);

    const informRes = await cpe.open();
    expect(informRes.status).toBe(200);
    expect(informRes.headers['content-type']).toBe('text/xml; charset="utf-8"');
    expect(informRes.headers['content-length']).toBe(String(Buffer.byteLength(informRes.body)));
    expect(informRes.headers['set-cookie']?.[0]).toMatch(/^acs_sid=[A-Za-z0-9_-]+; Path=\/; HttpOnly$/);
    expect(informRes.body.startsWith('<?xml')).toBe(false);
    const ir = parsed(informRes.body);
    expect(ir.body).toEqual({ name: 'InformResponse', maxEnvelopes: 1 });
    expect(ir.header.id).toBe('inf-1');
    expect(registry.informs).toHaveLength(1);
    expect(registry.informs[0]).toMatchObject({ deviceId: DEVICE_ID, auth: { scope: 'device', username: 'cpe1' } });

    const rpcRes = await cpe.post('');
    expect(rpcRes.status).toBe(200);
    const rpc = parsed(rpcRes.body);
    expect(rpc.body).toEqual({ name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] });
    expect(rpc.header.id).toMatch(/^acs-/);
    expect(rpc.cwmpNamespace).toBe('urn:dslforum-org:cwmp-1-2');

    const answer = envelope(
      { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: '5.2.1', type: 'string' }] },
      { id: rpc.header.id as string },
    );
    const done = await cpe.post(answer);
    expect(done.status).toBe(204);
    expect(done.body).toBe('');
    expect(done.headers['content-length']).toBe('0');
    expect(registry.results).toEqual([
      expect.objectContaining({ taskId: 't-1', method: 'GetParameterValues', outcome: { response: expect.objectContaining({ name: 'GetParameterValuesResponse' }) } }),
    ]);

    // Lock released and session deleted: the device can open a new session at once, the old cookie is dead.
    expect(await harness.kv.locks.acquire(DEVICE_ID, 1_000)).not.toBeNull();
    // A dead cookie is no session: the request is challenged like any other without credentials.
    expect((await cpe.post('')).status).toBe(401);

    await until(() => sessions.length === 2 && informs.length === 1);
    expect(sessions.map((m) => m.subject)).toEqual([harness.subjects.evt.sessionStarted(DEVICE_ID), harness.subjects.evt.sessionEnded(DEVICE_ID)]);
    expect(json(sessions[1] as BusMessage)).toMatchObject({
      deviceId: DEVICE_ID,
      outcome: 'completed',
      eventCodes: ['1 BOOT'],
      rpcs: [{ name: 'GetParameterValues', taskId: 't-1', outcome: 'ok' }],
      tasksDone: ['t-1'],
      tasksFaulted: [],
    });
    expect(json(informs[0] as BusMessage)).toMatchObject({
      deviceId: DEVICE_ID,
      events: [{ eventCode: '1 BOOT', commandKey: '' }],
      parameters: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: '5.2.1', type: 'xsd:string' }],
    });
  });

  it('echoes cwmp:ID only when the Inform carried one, even an empty one', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const withEmpty = await new TestCpe(harness.urls, CREDS).open({ inform: informXml({ id: '' }) });
    expect(parsed(withEmpty.body).header.id).toBe('');
    await harness.stop();

    harness = await startGateways(1, { registry: registryWithCpe() });
    const noHeader = informXml().replace(/<soap-env:Header>.*<\/soap-env:Header>/, '');
    expect(noHeader).not.toContain('cwmp:ID');
    const res = await new TestCpe(harness.urls, CREDS).open({ inform: noHeader });
    expect(res.status).toBe(200);
    expect(parsed(res.body).header.id).toBeUndefined();
    expect(res.body).not.toContain('cwmp:ID');
  });

  it('negotiates UseCWMPVersion, and answers fault 8006 without a session when there is no common version', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const ok = await new TestCpe(harness.urls, CREDS).open({
      inform: informXml({ header: { supportedCWMPVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'] } }),
    });
    expect(parsed(ok.body).header.useCWMPVersion).toBe('1.4');
    await harness.stop();

    harness = await startGateways(1, { registry: registryWithCpe() });
    const bad = await new TestCpe(harness.urls, CREDS).open({ inform: informXml({ header: { supportedCWMPVersions: ['2.0'] } }) });
    expect(bad.status).toBe(200);
    const f = parsed(bad.body);
    expect((f.body as Fault).detail.faultCode).toBe(8006);
    expect(f.header.id).toBe('inf-1');
    expect(bad.headers['set-cookie']).toBeUndefined();
    expect(await harness.kv.locks.acquire(DEVICE_ID, 1_000)).not.toBeNull();
  });

  it('answers CPE requests through the registry, echoing their ID; an unknown method gets fault 8000', async () => {
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const tc = await cpe.post(
      envelope(
        { name: 'TransferComplete', commandKey: 'job-1', faultStruct: { faultCode: 0, faultString: '' }, startTime: '2026-11-26T08:00:00Z', completeTime: '2026-11-26T08:01:00Z' },
        { id: 'tc-7' },
      ),
    );
    expect(tc.status).toBe(200);
    expect(parsed(tc.body)).toMatchObject({ header: { id: 'tc-7' }, body: { name: 'TransferCompleteResponse' } });
    expect(registry.cpeRequests.map((r) => r.request.name)).toEqual(['TransferComplete']);

    const unknown = await cpe.post(informXml().replace(/cwmp:Inform>/g, 'cwmp:X_ACME_Frobnicate>').replace('inf-1', 'x-9'));
    expect(unknown.status).toBe(200);
    expect(parsed(unknown.body)).toMatchObject({ header: { id: 'x-9' }, body: { name: 'Fault', detail: { faultCode: 8000 } } });

    const kicked = await cpe.post(envelope({ name: 'Kicked', command: 'c', referer: 'r', arg: 'a', next: 'n' }, { id: 'k-1' }));
    expect(parsed(kicked.body)).toMatchObject({ header: { id: 'k-1' }, body: { name: 'Fault', detail: { faultCode: 8000 } } });
    // The session is still alive and ends normally.
    expect((await cpe.post('')).status).toBe(204);
  });

  it('ends the session (400) when an answer carries another cwmp:ID than the outstanding request', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r1' } });
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    await cpe.post('');
    const res = await cpe.post(envelope({ name: 'RebootResponse' }, { id: 'not-ours' }));
    expect(res.status).toBe(400);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { timeout: true } })]);
    await until(() => sessions.length === 2);
    expect(json(sessions[1] as BusMessage)).toMatchObject({ outcome: 'faulted' });
  });

  it('records a CPE fault to the RPC and carries on', async () => {
    const registry = registryWithCpe()
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'SetParameterValues', parameterList: [{ name: 'Device.X', value: '1', type: 'int' }], parameterKey: 'k' } })
      .queue(DEVICE_ID, { taskId: 't-2', rpc: { name: 'GetRPCMethods' } });
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const spv = parsed((await cpe.post('')).body);
    const fault: Fault = { name: 'Fault', faultcode: 'Client', faultstring: 'CWMP fault', detail: { faultCode: 9005, faultString: 'Invalid parameter name', setParameterValuesFault: [] } };
    const gpm = parsed((await cpe.post(envelope(fault, { id: spv.header.id as string }))).body);
    expect(gpm.body.name).toBe('GetRPCMethods');
    const end = await cpe.post(envelope({ name: 'GetRPCMethodsResponse', methodList: ['Inform'] }, { id: gpm.header.id as string }));
    expect(end.status).toBe(204);
    expect(registry.results.map((r) => Object.keys(r.outcome)[0])).toEqual(['fault', 'response']);
    await until(() => sessions.length === 2);
    expect(json(sessions[1] as BusMessage)).toMatchObject({
      rpcs: [
        { name: 'SetParameterValues', taskId: 't-1', outcome: 'fault', faultCode: 9005 },
        { name: 'GetRPCMethods', taskId: 't-2', outcome: 'ok' },
      ],
      tasksDone: ['t-2'],
      tasksFaulted: ['t-1'],
    });
  });
});
