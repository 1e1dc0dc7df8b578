// What the gateway's unit tests share: the CPE's credentials, a registry that knows them, gateways
// stopped after each test, and readers for SOAP bodies and bus messages.
import { afterEach } from '@jest/globals';
import type { BusMessage } from '@acs/bus';
import { decode, type CwmpEnvelope } from '@acs/cwmp';
import { FakeRegistry } from './fake-registry.js';
import { DEVICE_ID, startGateways, type Harness } from './harness.js';

export const CREDS = { username: 'cpe1', password: 'Circle Of Life' };

/**
 * startGateways for one test file (call it at the top level): after each test, the harness it started
 * last is stopped.
 */
export function gatewaysStoppedAfterEach(): typeof startGateways {
  let latest: Harness | undefined;
  afterEach(async () => {
    await latest?.stop();
    latest = undefined;
  });
  return async (...args) => (latest = await startGateways(...args));
}

export function parsed(body: string): CwmpEnvelope {
  const d = decode(body);
  if (d.kind === 'empty') throw new Error('empty body');
  return d.envelope;
}

export function registryWithCpe(): FakeRegistry {
  return new FakeRegistry().addCredential(CREDS.username, { password: CREDS.password, deviceId: DEVICE_ID });
}

export function collect(h: Harness, pattern: string): BusMessage[] {
  const got: BusMessage[] = [];
  h.observer.subscribe(pattern, (m) => {
    got.push(m);
  });
  return got;
}

export const json = (m: BusMessage) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown>;
