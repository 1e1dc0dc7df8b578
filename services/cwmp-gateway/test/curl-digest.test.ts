// curl's Digest client as the CPE: its first POST carries no credentials (and, for Digest, no body) to collect
// the challenge, then it re-sends the body answering it. Whole sessions of real Informs of CWMP 1.0, 1.2 and
// 1.4, to one gateway and through HAProxy to two replicas (no stickiness).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceIdFromParts } from '@acs/contracts';
import { decode } from '@acs/cwmp';
import { requireBinary, startHaproxy, type HaproxyServer } from '@acs/testkit';
import { FakeRegistry } from './support/fake-registry.js';
import { envelope, startGateways, type Harness } from './support/harness.js';

const run = promisify(execFile);
const CURL = requireBinary('curl', 'apt-get install -y curl');
const fixture = (name: string) => readFileSync(new URL(`../../../packages/cwmp/fixtures/${name}`, import.meta.url));

const INFORMS = [
  { version: '1.0', file: 'inform-soap-env-cwmp-1-0-tr098.xml' },
  { version: '1.2', file: 'inform-soapenv-cwmp-1-2-tr181-no-header.xml' },
  { version: '1.4', file: 'inform-soap-cwmp-1-2-v1-4-bom.xml' },
] as const;

const registry = new FakeRegistry().addCredential('curl-cpe', { password: 'curl s3cret' });
let direct: Harness;
let pair: Harness;
let proxy: HaproxyServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'acs-curl-'));
  direct = await startGateways(1, { registry });
  pair = await startGateways(2, { registry, settings: { connectionFallback: false } });
  proxy = await startHaproxy({ backends: pair.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })), reuse: true });
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await pair?.stop();
  await direct?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * One curl POST of `body` with a cookie jar; with `digest`, curl probes without credentials first. Only the
 * Inform is sent so: inside the session the cookie is the credential, as with a CPE (an empty probe on a live
 * session would be the CPE's empty POST).
 */
async function curl(url: string, body: Buffer | string, jar: string, digest = false): Promise<{ status: number; body: string }> {
  const file = join(dir, `body-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, body);
  const { stdout } = await run(CURL, [
    '--silent', '--show-error', ...(digest ? ['--digest', '--user', 'curl-cpe:curl s3cret'] : []),
    '--cookie', jar, '--cookie-jar', jar,
    '--header', 'Content-Type: text/xml; charset="utf-8"',
    '--data-binary', `@${file}`, '--write-out', '\n%{http_code}', url,
  ]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

async function wholeSession(url: string, file: string): Promise<{ deviceId: string; version: string }> {
  const inform = fixture(file);
  const parsed = decode(inform);
  if (parsed.kind !== 'request' || parsed.envelope.body.name !== 'Inform') throw new Error(`${file} is not an Inform`);
  const ids = parsed.envelope.body.deviceId;
  const deviceId = deviceIdFromParts(ids.oui, ids.productClass, ids.serialNumber);
  registry.queue(deviceId, { taskId: `curl-${deviceId}-${url}`, rpc: { name: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] } });
  const jar = join(dir, `jar-${Math.random().toString(36).slice(2)}`);

  const answer = await curl(url, inform, jar, true);
  expect(answer.status).toBe(200);
  const informResponse = decode(answer.body);
  expect(informResponse.kind !== 'empty' && informResponse.envelope.body.name).toBe('InformResponse');

  const request = await curl(url, '', jar);
  expect(request.status).toBe(200);
  const gpv = decode(request.body);
  if (gpv.kind === 'empty' || gpv.envelope.body.name !== 'GetParameterValues') throw new Error(`expected GetParameterValues, got ${request.body}`);

  const response = envelope(
    { name: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '73', type: 'unsignedInt' }] },
    { id: gpv.envelope.header.id as string },
    parsed.envelope.cwmpNamespace,
  );
  expect((await curl(url, response, jar)).status).toBe(204);
  const recorded = registry.informs.filter((r) => r.deviceId === deviceId);
  return { deviceId, version: recorded[recorded.length - 1]?.cwmpVersion ?? 'none' };
}

describe.each([
  ['one gateway', () => direct.urls[0] as string],
  ['HAProxy in front of two gateways', () => `${proxy.url}/cwmp/`],
])('curl --digest, %s', (_where, url) => {
  it.each(INFORMS)('runs a whole CWMP $version session: Inform, GetParameterValues, 204', async ({ version, file }) => {
    const before = registry.results.length;
    const { deviceId, version: recorded } = await wholeSession(url(), file);
    expect(recorded).toBe(version);
    expect(registry.results.slice(before)).toEqual([expect.objectContaining({ deviceId, method: 'GetParameterValues', outcome: expect.objectContaining({ response: expect.anything() }) })]);
  });
});
