// Wiring shared by the session tests (session-*.test.ts): one device in a fresh registry fixture per
// test, and short hands to queue its tasks, take the next RPC and answer it. Not part of the build.
import { afterEach, beforeEach } from '@jest/globals';
import type { AcsRequest, CpeResponse } from '@acs/cwmp';
import { cpeId, makeFixture, type Fixture, type TestCpe } from './registry.fixture.js';
import type { Task, TaskInput } from './store/types.js';

export const GW: TestCpe = { oui: '00AA11', productClass: 'GW500', serialNumber: 'SN0001' };
export const ID = cpeId(GW);

/** The current test's fixture (set by freshFixtureEachTest). */
export let f: Fixture;

/** Call at the top of a test file: before each test a fresh fixture holding the device GW, closed after it. */
export function freshFixtureEachTest(): void {
  beforeEach(async () => {
    f = await makeFixture({ refreshBatch: 2 });
    await f.store.upsertDevice({ id: ID, oui: GW.oui, productClass: GW.productClass, serialNumber: GW.serialNumber }, f.now());
  });
  afterEach(async () => {
    await f.close();
  });
}

export async function queue(...inputs: TaskInput[]): Promise<Task[]> {
  return f.store.createTasks(ID, inputs, f.now());
}

export async function next(sessionId = 's1'): Promise<{ rpc: AcsRequest; taskId: string }> {
  const reply = await f.registry.nextAction({ sessionId, deviceId: ID });
  if (reply.action !== 'rpc') throw new Error('expected an RPC, got none');
  return { rpc: reply.rpc, taskId: reply.taskId };
}

export async function answer(taskId: string, response: CpeResponse, sessionId = 's1') {
  return f.registry.recordResult({ sessionId, deviceId: ID, taskId, method: response.name.replace(/Response$/, ''), outcome: { response } });
}

export const param = async (path: string) => (await f.store.getParameters(ID, path)).find((p) => p.path === path);
