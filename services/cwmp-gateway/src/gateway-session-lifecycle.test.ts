// Which session a request belongs to and how long it lives: replicas, one session a device, cookies and
// connections, restarts, idle timeout, the RPC cap.
import { Agent } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { BusMessage } from '@acs/bus';
import { collect, CREDS, gatewaysStoppedAfterEach, json, parsed, registryWithCpe } from '../test/support/fixtures.js';
import { DEVICE_ID, envelope, httpRequest, informXml, TestCpe, until, type Harness } from '../test/support/harness.js';

const startGateways = gatewaysStoppedAfterEach();
let harness: Harness | undefined;

describe('a session', () => {
  it('is served by any replica: challenge on A, Inform on B, then alternating', async () => {
    const registry = registryWithCpe()
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'GetParameterNames', parameterPath: 'Device.', nextLevel: true } })
      .queue(DEVICE_ID, { taskId: 't-2', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(2, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    const informRes = await cpe.open({ challengeTo: 0, to: 1 });
    expect(informRes.status).toBe(200);
    const gpn = parsed((await cpe.post('', { to: 0 })).body);
    expect(gpn.body.name).toBe('GetParameterNames');
    const reboot = parsed((await cpe.post(envelope({ name: 'GetParameterNamesResponse', parameterList: [] }, { id: gpn.header.id as string }), { to: 1 })).body);
    expect(reboot.body.name).toBe('Reboot');
    const end = await cpe.post(envelope({ name: 'RebootResponse' }, { id: reboot.header.id as string }), { to: 0 });
    expect(end.status).toBe(204);
    expect(registry.results.map((r) => r.taskId)).toEqual(['t-1', 't-2']);
    const replicas = new Set(harness.logs.lines.filter((l) => l.sessionId !== undefined).map((l) => l.replica));
    expect(replicas).toEqual(new Set([0, 1]));
  });

  it('refuses a second concurrent session of the same device with 503 + Retry-After', async () => {
    harness = await startGateways(2, { registry: registryWithCpe(), settings: { retryAfterS: 5 } });
    expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(200);
    const second = await new TestCpe(harness.urls, CREDS).open({ challengeTo: 1, to: 1 });
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('5');
    expect(harness.logs.withCode('DEVICE_IN_SESSION')).toHaveLength(1);
  });

  it('starts a fresh session when an Inform comes with the cookie of the device\'s previous session', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(1, { registry });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    const oldCookie = cpe.cookie;
    await cpe.post(''); // Reboot sent; the CPE reboots without answering and comes back with 1 BOOT
    const again = await cpe.open({ inform: informXml({ events: [{ eventCode: '1 BOOT', commandKey: '' }, { eventCode: 'M Reboot', commandKey: 'r' }] }) });
    expect(again.status).toBe(200);
    expect(cpe.cookie).not.toBe(oldCookie);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { timeout: true } })]);
    await until(() => sessions.length === 3);
    expect(json(sessions[1] as BusMessage)).toMatchObject({ outcome: 'aborted' });
  });

  it('follows a CPE that drops cookies by its TCP connection, and loses it on a new connection', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'FactoryReset' } });
    harness = await startGateways(1, { registry });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cpe = new TestCpe(harness.urls, CREDS, { agent, keepCookies: false });
      expect((await cpe.open()).status).toBe(200);
      const rpc = parsed((await cpe.post('')).body);
      expect(rpc.body.name).toBe('FactoryReset');
      // The same request from a fresh connection has nothing to go by.
      const elsewhere = await httpRequest(harness.urls[0] as string, { body: '' });
      expect(elsewhere.status).toBe(401);
      const end = await cpe.post(envelope({ name: 'FactoryResetResponse' }, { id: rpc.header.id as string }));
      expect(end.status).toBe(204);
    } finally {
      agent.destroy();
    }
  });

  it('does not track cookie-less CPEs by connection when the fallback is off', async () => {
    harness = await startGateways(1, { registry: registryWithCpe(), settings: { connectionFallback: false } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cpe = new TestCpe(harness.urls, CREDS, { agent, keepCookies: false });
      expect((await cpe.open()).status).toBe(200);
      // Not recognised by its connection: a stranger without credentials, so challenged.
      expect((await cpe.post('')).status).toBe(401);
    } finally {
      agent.destroy();
    }
  });

  it('lets a cookie-less CPE restart its session with a new Inform on the same connection', async () => {
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r' } });
    harness = await startGateways(1, { registry });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cpe = new TestCpe(harness.urls, CREDS, { agent, keepCookies: false });
      await cpe.open();
      expect(parsed((await cpe.post('')).body).body.name).toBe('Reboot');
      expect((await cpe.open()).status).toBe(200);
      expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', outcome: { timeout: true } })]);
      // Without the connection (or a cookie) to go by, the same device is refused while that session lives.
      expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(503);
    } finally {
      agent.destroy();
    }
  });

  it('ends an idle session after its timeout: the lock frees and the unanswered RPC is reported as timed out', async () => {
    let t = Date.now();
    const registry = registryWithCpe().queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Download', commandKey: 'd', fileType: '1 Firmware Upgrade Image', url: 'http://192.0.2.1/fw', username: '', password: '', fileSize: 0, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' } });
    harness = await startGateways(1, { registry, now: () => t, settings: { sessionTimeoutMs: 10_000 } });
    const sessions = collect(harness, harness.subjects.evt.allSessions);
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    await cpe.post('');
    // Still inside the timeout: a second session is refused.
    t += 5_000;
    expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(503);
    t += 10_001;
    const next = await new TestCpe(harness.urls, CREDS).open();
    expect(next.status).toBe(200);
    expect(registry.results).toEqual([expect.objectContaining({ taskId: 't-1', method: 'Download', outcome: { timeout: true } })]);
    await until(() => sessions.length === 3);
    expect(json(sessions[1] as BusMessage)).toMatchObject({ outcome: 'timeout', rpcs: [{ name: 'Download', outcome: 'fault' }] });
    // The late answer of the old session finds nothing.
    expect((await cpe.post(envelope({ name: 'DownloadResponse', status: 1, startTime: '0001-01-01T00:00:00Z', completeTime: '0001-01-01T00:00:00Z' }))).status).toBe(401);
  });

  it('caps the RPCs of one session', async () => {
    const registry = registryWithCpe();
    for (let i = 0; i < 5; i += 1) registry.queue(DEVICE_ID, { taskId: `t-${i}`, rpc: { name: 'GetRPCMethods' } });
    harness = await startGateways(1, { registry, settings: { maxRpcsPerSession: 2 } });
    const cpe = new TestCpe(harness.urls, CREDS);
    await cpe.open();
    let res = await cpe.post('');
    let count = 0;
    while (res.status === 200) {
      count += 1;
      res = await cpe.post(envelope({ name: 'GetRPCMethodsResponse', methodList: [] }, { id: parsed(res.body).header.id as string }));
    }
    expect(res.status).toBe(204);
    expect(count).toBe(2);
    expect(registry.tasks.get(DEVICE_ID)).toHaveLength(3);
  });
});
