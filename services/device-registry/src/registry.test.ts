import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { QUEUE_GROUPS, decodeJson, parseErrorReply, parseNextActionReply, parseRecordInformReply, parseVerifyCredentialsReply } from '@acs/contracts';
import { cpeId, informRequest, makeFixture, verifyRequest, digestProof, type Fixture, type TestCpe } from './registry.fixture.js';

const GW: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };

let f: Fixture;
beforeEach(async () => {
  f = await makeFixture();
  await f.registry.registerEndpoints();
  await f.bus.flush();
});
afterEach(async () => {
  await f.close();
});

async function call(subject: string, payload: object | Uint8Array): Promise<unknown> {
  const reply = await f.bus.request(subject, payload, { timeoutMs: 2_000 });
  const json = decodeJson(reply.data);
  if (!json.ok) throw json.error;
  return json.value;
}

describe('registry endpoints on the bus', () => {
  it('offers one handler per registry subject', () => {
    expect(Object.keys(f.registry.endpoints()).sort()).toEqual(
      [
        f.subjects.registry.credentialsVerify,
        f.subjects.registry.informRecord,
        f.subjects.registry.sessionCpeRequest,
        f.subjects.registry.sessionNext,
        f.subjects.registry.sessionResult,
        f.subjects.registry.stunDevice,
      ].sort(),
    );
    expect(QUEUE_GROUPS.registry).toBe('acs-registry');
  });

  it('serves the five requests with contract-valid replies', async () => {
    const s = f.subjects.registry;
    const verify = parseVerifyCredentialsReply(await call(s.credentialsVerify, verifyRequest(GW, 'nobody', digestProof('nobody', 'x'))));
    expect(verify).toEqual({ ok: true, value: { ok: false, reason: 'unknown_username' } });
    const auth = { scope: 'device' as const, credentialId: 'c', username: 'u' };
    const inform = parseRecordInformReply(await call(s.informRecord, informRequest(f, GW, { sessionId: 's1', events: ['2 PERIODIC'], auth })));
    expect(inform).toEqual({ ok: true, value: { deviceId: cpeId(GW), registered: true } });
    // A new device is discovered first: GetParameterNames of its root.
    const next = parseNextActionReply(await call(s.sessionNext, { sessionId: 's1', deviceId: cpeId(GW) }));
    if (!next.ok || next.value.action !== 'rpc') throw new Error('expected an RPC');
    expect(next.value.rpc).toEqual({ name: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false });
    const result = await call(s.sessionResult, {
      sessionId: 's1',
      deviceId: cpeId(GW),
      taskId: next.value.taskId,
      method: 'GetParameterNames',
      outcome: { response: { name: 'GetParameterNamesResponse', parameterList: [{ name: 'Device.', writable: false }] } },
    });
    expect(result).toEqual({ ok: true });
    expect(await f.store.getTask(next.value.taskId)).toMatchObject({ status: 'done' });
    expect(await call(s.sessionCpeRequest, { sessionId: 's1', deviceId: cpeId(GW), request: { name: 'GetRPCMethods' } })).toMatchObject({
      response: { name: 'GetRPCMethodsResponse' },
    });
  });

  it('answers an invalid payload with INVALID_PAYLOAD (issues included) and keeps serving', async () => {
    const s = f.subjects.registry;
    const bad = parseErrorReply(await call(s.sessionNext, { sessionId: '', deviceId: 42 }));
    expect(bad.ok && bad.value.error.code).toBe('INVALID_PAYLOAD');
    expect(bad.ok && bad.value.error.issues?.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['sessionId', 'deviceId']));
    const notJson = parseErrorReply(await call(s.informRecord, new TextEncoder().encode('{not json')));
    expect(notJson.ok && notJson.value.error.code).toBe('INVALID_PAYLOAD');
    expect(await call(s.sessionNext, { sessionId: 's1', deviceId: 'nobody' })).toEqual({ action: 'none' });
  });

  it('answers a result for an unknown task with NOT_FOUND', async () => {
    const reply = parseErrorReply(
      await call(f.subjects.registry.sessionResult, { sessionId: 's1', deviceId: 'd', taskId: 't', method: 'Reboot', outcome: { timeout: true } }),
    );
    expect(reply.ok && reply.value.error.code).toBe('NOT_FOUND');
  });

  it('answers INTERNAL without details when the store fails', async () => {
    await f.store.close();
    const reply = parseErrorReply(await call(f.subjects.registry.sessionNext, { sessionId: 's1', deviceId: 'd' }));
    expect(reply.ok && reply.value.error).toEqual({ code: 'INTERNAL', message: 'internal error' });
  });
});
