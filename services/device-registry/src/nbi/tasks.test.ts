import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMemoryBus } from '@acs/bus';
import type { MemoryBus } from '@acs/bus';
import { createSubjects, decodePayload, parsePokeCommand } from '@acs/contracts';
import type { PokeCommand } from '@acs/contracts';
import { enc, startNbiHarness } from '../../test/nbi/harness.js';
import type { NbiHarness } from '../../test/nbi/harness.js';
import { createSqliteDeviceStore } from '../store/sqlite/sqlite-device-store.js';
import type { Task } from '../store/types.js';
import { PokeResultSchema, TaskCreatedSchema, TaskPageSchema, TaskSchema } from './schemas.js';
import type { TaskOut } from './views.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const subjects = createSubjects();
const DEVICE = '00259E-Router-SN1';
const OTHER = '00259E-Router-SN2';
let nbi: NbiHarness;
let bus: MemoryBus;
let worker: MemoryBus;
const created: { deviceId: string; tasks: Task[] }[] = [];

beforeAll(async () => {
  bus = createMemoryBus();
  worker = createMemoryBus({ broker: bus.broker });
  await bus.ensureStreams([subjects.streams.commands]);
  nbi = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }), {
    clock: () => NOW,
    bus,
    subjects,
    onTaskCreated: (deviceId, tasks) => created.push({ deviceId, tasks }),
  });
  for (const serialNumber of ['SN1', 'SN2']) await nbi.store.upsertDevice({ id: `00259E-Router-${serialNumber}`, oui: '00259E', productClass: 'Router', serialNumber }, NOW);
});

afterAll(async () => {
  await nbi.close();
  await nbi.store.close();
  await worker.close();
  await bus.close();
});

const post = (body: unknown, query = '', deviceId = DEVICE) => nbi.call('POST', `/api/v1/devices/${enc(deviceId)}/tasks${query}`, { body });

describe('POST /devices/{id}/tasks', () => {
  it('queues one task and answers 201 with it, in the documented shape', async () => {
    const res = await post({ type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.', 'Device.ManagementServer.URL'] } });
    expect(res.status).toBe(201);
    const [task] = TaskCreatedSchema.parse(res.json).tasks;
    expect(task).toMatchObject({ deviceId: DEVICE, type: 'getParameterValues', status: 'pending', attempts: 0, maxAttempts: 3, priority: 0, expiresAt: null, createdAt: NOW });
    expect(await nbi.store.getTask(task!.id)).toMatchObject({ args: { parameterNames: ['Device.DeviceInfo.', 'Device.ManagementServer.URL'] } });
    expect(created.at(-1)).toMatchObject({ deviceId: DEVICE, tasks: [{ id: task!.id }] });
  });

  it('queues a list in order, with defaults, ttl/expiresAt and maxAttempts', async () => {
    const res = await post([
      { type: 'setParameterValues', args: { parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '300', type: 'unsignedInt' }], parameterKey: 'k1' }, ttl: 60 },
      { type: 'reboot', maxAttempts: 1, expiresAt: '2026-03-02T00:00:00Z' },
      { type: 'getParameterNames', args: { parameterPath: 'Device.IP.' } },
      { type: 'refresh', args: { path: 'Device.WiFi.' } },
      { type: 'download', args: { url: 'http://files.example.net/fw.bin', fileType: '1 Firmware Upgrade Image', fileSize: 1024, username: 'fw', password: 'fw-secret' } },
      { type: 'factoryReset' },
      { type: 'scheduleInform', args: { delaySeconds: 30, commandKey: 'later' } },
    ]);
    expect(res.status).toBe(201);
    const tasks = res.json.tasks as TaskOut[];
    expect(tasks.map((t) => t.type)).toEqual(['setParameterValues', 'reboot', 'getParameterNames', 'refresh', 'download', 'factoryReset', 'scheduleInform']);
    expect(tasks.map((t) => t.seq)).toEqual([...tasks.map((t) => t.seq)].sort((a, b) => a - b));
    expect(tasks[0]).toMatchObject({ expiresAt: NOW + 60_000, args: { parameterList: [{ type: 'xsd:unsignedInt', value: '300' }] } });
    expect(tasks[1]).toMatchObject({ maxAttempts: 1, expiresAt: Date.parse('2026-03-02T00:00:00Z'), args: {} });
    expect(tasks[2]!.args).toEqual({ parameterPath: 'Device.IP.', nextLevel: false });
    // The download password reaches the store (the RPC needs it) but never a response.
    expect(tasks[4]!.args.password).toBe('[REDACTED]');
    expect(res.text).not.toContain('fw-secret');
    expect((await nbi.store.getTask(tasks[4]!.id))?.args).toMatchObject({ password: 'fw-secret' });
    expect((await nbi.call('GET', `/api/v1/tasks/${tasks[4]!.id}`)).text).not.toContain('fw-secret');
  });

  it('validates every task kind and answers 422 with issues pointing into the body', async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ type: 'setParameterValues', args: { parameterList: [{ name: 'Device.X.Enable', value: 'maybe', type: 'xsd:boolean' }] } }, ['args', 'parameterList', 0, 'value']],
      [{ type: 'setParameterValues', args: { parameterList: [{ name: 'Device.X.Port', value: '70000', type: 'xsd:int' }, { name: 'Device.X.Port', value: '1' }] } }, ['args', 'parameterList', 1, 'name']],
      [{ type: 'setParameterValues', args: { parameterList: [{ name: 'Device.X.', value: '1' }] } }, ['args', 'parameterList', 0, 'name']],
      [{ type: 'setParameterValues', args: { parameterList: [{ name: 'Device.X.Y', value: '1', type: 'xsd:float' }] } }, ['args', 'parameterList', 0, 'type']],
      [{ type: 'getParameterValues', args: { parameterNames: [] } }, ['args', 'parameterNames']],
      [{ type: 'getParameterValues', args: { parameterName: ['Device.'] } }, ['args']],
      [{ type: 'addObject', args: { objectName: 'Device.IP.Interface' } }, ['args', 'objectName']],
      [{ type: 'deleteObject', args: {} }, ['args', 'objectName']],
      [{ type: 'setParameterAttributes', args: { parameterList: [{ name: 'Device.X.Y', notification: 7 }] } }, ['args', 'parameterList', 0, 'notification']],
      [{ type: 'getParameterAttributes', args: { parameterNames: ['not a path'] } }, ['args', 'parameterNames', 0]],
      [{ type: 'reboot', args: { commandKey: 'x'.repeat(33) } }, ['args', 'commandKey']],
      [{ type: 'download', args: { url: 'file:///etc/passwd', fileType: '1 Firmware Upgrade Image' } }, ['args', 'url']],
      [{ type: 'download', args: { url: 'http://h/fw', fileType: 'firmware' } }, ['args', 'fileType']],
      [{ type: 'scheduleInform', args: { delaySeconds: 0 } }, ['args', 'delaySeconds']],
      [{ type: 'refresh', args: {} }, ['args', 'path']],
      [{ type: 'fly' }, ['type']],
      [{ type: 'reboot', ttl: 10, expiresAt: NOW + 1 }, ['ttl']],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect({ body, status: res.status, code: res.json.error.code }).toEqual({ body, status: 422, code: 'INVALID_PAYLOAD' });
      expect({ body, paths: res.json.error.details.issues.map((i: { path: unknown }) => i.path) }).toEqual({ body, paths: expect.arrayContaining([path]) });
    }
    const past = await post({ type: 'reboot', expiresAt: NOW - 1 });
    expect(past.status).toBe(422);
    // A list is all or nothing: one bad task stores none.
    const before = (await nbi.store.listTasks({ deviceId: DEVICE })).total;
    const mixed = await post([{ type: 'reboot' }, { type: 'scheduleInform', args: { delaySeconds: -1 } }]);
    expect(mixed.json.error.details.issues[0].path.slice(0, 1)).toEqual([1]);
    expect((await nbi.store.listTasks({ deviceId: DEVICE })).total).toBe(before);
  });

  it('answers 400 for malformed JSON and 404 for an unknown device', async () => {
    const bad = await nbi.call('POST', `/api/v1/devices/${enc(DEVICE)}/tasks`, { rawBody: '{"type": "reboot",' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { code: 'BAD_REQUEST', message: 'the body is not valid JSON' } });
    const unknown = await post({ type: 'reboot' }, '', '000000-X-NOPE');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
  });

  it('with ?connect=true publishes one acs.cmd.poke for the device and returns its requestId', async () => {
    const pokes: PokeCommand[] = [];
    const consumer = await worker.consume(subjects.streams.commands.name, 'test-pokes', async (msg) => {
      const parsed = decodePayload(msg.data, parsePokeCommand);
      if (parsed.ok) pokes.push(parsed.value);
      await msg.ack();
    }, { ackWaitMs: 5_000, maxDeliver: 1, filterSubject: subjects.cmd.poke });
    try {
      const res = await post({ type: 'reboot' }, '?connect=true', OTHER);
      expect(res.status).toBe(201);
      expect(res.json.poke.requestId).toEqual(expect.any(String));
      const deadline = Date.now() + 5_000;
      while (pokes.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      expect(pokes).toEqual([{ deviceId: OTHER, requestId: res.json.poke.requestId }]);
    } finally {
      await consumer.stop();
    }
  });
});

describe('POST /devices/{id}/poke', () => {
  it('waits for the connreq event carrying its requestId and reports the outcome', async () => {
    const consumer = await worker.consume(subjects.streams.commands.name, 'test-pokes', async (msg) => {
      const parsed = decodePayload(msg.data, parsePokeCommand);
      await msg.ack();
      if (!parsed.ok) return;
      const { deviceId, requestId } = parsed.value;
      // An unrelated event first: it must not be taken for ours.
      worker.publish(subjects.evt.connreq(deviceId), { requestId: 'someone-else', deviceId, transport: 'udp', outcome: 'timeout', latencyMs: 1 });
      worker.publish(subjects.evt.connreq(deviceId), { requestId, deviceId, transport: 'http', outcome: 'accepted', latencyMs: 12 });
      // The CPE's sessions: another one first, then the one answering this poke.
      const started = { deviceId, startedAt: new Date().toISOString(), eventCodes: ['6 CONNECTION REQUEST'] };
      worker.publish(subjects.evt.sessionStarted(deviceId), { ...started, sessionId: 'other', requestId: 'someone-else' });
      worker.publish(subjects.evt.sessionStarted(deviceId), { ...started, sessionId: 'sess-1', requestId });
    }, { ackWaitMs: 5_000, maxDeliver: 1, filterSubject: subjects.cmd.poke });
    try {
      const res = await nbi.call('POST', `/api/v1/devices/${enc(OTHER)}/poke?wait=5`);
      expect(res.status).toBe(200);
      expect(PokeResultSchema.parse(res.json)).toMatchObject({
        deviceId: OTHER,
        outcome: 'accepted',
        transport: 'http',
        latencyMs: 12,
        session: { sessionId: 'sess-1', latencyMs: expect.any(Number) },
        timedOut: false,
      });
    } finally {
      await consumer.stop();
    }
  });

  it('answers 408 with what it knows when ?wait runs out: accepted, but no session yet', async () => {
    const consumer = await worker.consume(subjects.streams.commands.name, 'test-pokes', async (msg) => {
      const parsed = decodePayload(msg.data, parsePokeCommand);
      await msg.ack();
      if (parsed.ok) worker.publish(subjects.evt.connreq(parsed.value.deviceId), { ...parsed.value, transport: 'http', outcome: 'accepted', latencyMs: 7 });
    }, { ackWaitMs: 5_000, maxDeliver: 1, filterSubject: subjects.cmd.poke });
    try {
      const res = await nbi.call('POST', `/api/v1/devices/${enc(OTHER)}/poke?wait=1`);
      expect(res.status).toBe(408);
      expect(PokeResultSchema.parse(res.json)).toMatchObject({ outcome: 'accepted', latencyMs: 7, session: null, timedOut: true });
    } finally {
      await consumer.stop();
    }
  });

  it('answers 200 at once for a failed outcome: no session will come', async () => {
    const consumer = await worker.consume(subjects.streams.commands.name, 'test-pokes', async (msg) => {
      const parsed = decodePayload(msg.data, parsePokeCommand);
      await msg.ack();
      if (parsed.ok) worker.publish(subjects.evt.connreq(parsed.value.deviceId), { ...parsed.value, transport: 'http', outcome: 'auth_failed', detail: '401 after authenticating', latencyMs: 9 });
    }, { ackWaitMs: 5_000, maxDeliver: 1, filterSubject: subjects.cmd.poke });
    try {
      const res = await nbi.call('POST', `/api/v1/devices/${enc(OTHER)}/poke?wait=30`);
      expect(res.status).toBe(200);
      expect(PokeResultSchema.parse(res.json)).toMatchObject({ outcome: 'auth_failed', detail: '401 after authenticating', session: null, timedOut: false });
    } finally {
      await consumer.stop();
    }
  });

  it('answers 202 without an outcome when not waiting, and 404 for an unknown device', async () => {
    const res = await nbi.call('POST', `/api/v1/devices/${enc(OTHER)}/poke`);
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ outcome: null, requestId: expect.any(String) });
    expect((await nbi.call('POST', '/api/v1/devices/000000-X-NOPE/poke')).status).toBe(404);
  });

  it('answers 503 when the NBI runs without a bus, before storing anything', async () => {
    const bare = await startNbiHarness(createSqliteDeviceStore({ filename: ':memory:' }));
    try {
      await bare.store.upsertDevice({ id: DEVICE, oui: '00259E', productClass: 'Router', serialNumber: 'SN1' }, NOW);
      const res = await bare.call('POST', `/api/v1/devices/${enc(DEVICE)}/tasks?connect=true`, { body: { type: 'reboot' } });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('UNAVAILABLE');
      expect((await bare.store.listTasks({ deviceId: DEVICE })).total).toBe(0);
      expect((await bare.call('POST', `/api/v1/devices/${enc(DEVICE)}/poke`)).status).toBe(503);
    } finally {
      await bare.close();
      await bare.store.close();
    }
  });
});

describe('GET /tasks, GET /tasks/{id}, DELETE /tasks/{id}', () => {
  it('lists by device and status, paged', async () => {
    const all = await nbi.call('GET', `/api/v1/tasks?deviceId=${enc(DEVICE)}`);
    expect(TaskPageSchema.parse(all.json).items.every((t) => t.deviceId === DEVICE)).toBe(true);
    expect(all.json.total).toBeGreaterThanOrEqual(8);
    const page = await nbi.call('GET', `/api/v1/tasks?deviceId=${enc(DEVICE)}&limit=2&offset=1`);
    expect(page.json.items.map((t: Task) => t.id)).toEqual(all.json.items.slice(1, 3).map((t: Task) => t.id));
    expect((await nbi.call('GET', '/api/v1/tasks?status=done')).json.total).toBe(0);
    expect((await nbi.call('GET', '/api/v1/tasks?status=pending,running')).json.total).toBe((await nbi.call('GET', '/api/v1/tasks')).json.total);
    expect((await nbi.call('GET', '/api/v1/tasks?status=sleeping')).status).toBe(422);
  });

  it('cancels a pending task, then answers 409 because it already finished', async () => {
    const [task] = (await post({ type: 'getRPCMethods' })).json.tasks as Task[];
    const res = await nbi.call('DELETE', `/api/v1/tasks/${task!.id}`);
    expect(res.status).toBe(200);
    expect(TaskSchema.parse(res.json)).toMatchObject({ status: 'cancelled', cancelReason: 'user' });
    const again = await nbi.call('DELETE', `/api/v1/tasks/${task!.id}`);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'CONFLICT', details: { status: 'cancelled' } });
  });

  it('answers 409 for a task that is done, and 404 for an unknown one', async () => {
    const [task] = (await post({ type: 'getRPCMethods' }, '', OTHER)).json.tasks as Task[];
    // Run it to completion the way a session would.
    const ahead = (await nbi.store.listTasks({ deviceId: OTHER, status: ['pending'] })).items;
    for (const t of ahead) {
      await nbi.store.claimTask(t.id, NOW);
      await nbi.store.completeTask(t.id, null, NOW);
    }
    expect((await nbi.call('GET', `/api/v1/tasks/${task!.id}`)).json.status).toBe('done');
    const res = await nbi.call('DELETE', `/api/v1/tasks/${task!.id}`);
    expect(res.status).toBe(409);
    expect(res.json.error.details).toEqual({ status: 'done' });
    expect((await nbi.call('GET', '/api/v1/tasks/nope')).status).toBe(404);
    expect((await nbi.call('DELETE', '/api/v1/tasks/nope')).json).toEqual({ error: { code: 'NOT_FOUND', message: 'task "nope" not found' } });
  });
});
