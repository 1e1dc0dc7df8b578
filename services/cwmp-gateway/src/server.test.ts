import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTempDir, OPENSSL_INSTALL, requireBinary } from '@acs/testkit';
import { FakeRegistry } from '../test/support/fake-registry.js';
import { DEVICE_ID, httpRequest, informXml, startGateways, type Harness } from '../test/support/harness.js';

// A self-signed certificate for 127.0.0.1, made by the real openssl (as the Prosody test kit does).
let dir: string;
let tls: { certFile: string; keyFile: string };
let ca: Buffer;
beforeAll(() => {
  const openssl = requireBinary('openssl', OPENSSL_INSTALL);
  dir = makeTempDir('cwmp-gw-tls');
  tls = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  execFileSync(openssl, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', tls.keyFile, '-out', tls.certFile,
  ], { stdio: 'ignore' });
  ca = readFileSync(tls.certFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('native TLS', () => {
  it('offers Basic (then Digest) in its challenge and accepts Basic over TLS', async () => {
    const registry = new FakeRegistry().addCredential('cpe1', { password: 'secret', deviceId: DEVICE_ID });
    harness = await startGateways(1, { registry, tls });
    const url = harness.urls[0] as string;
    expect(url.startsWith('https://')).toBe(true);
    const challenge = await httpRequest(url, { body: informXml(), ca });
    expect(challenge.status).toBe(401);
    expect(challenge.distinct['www-authenticate']?.map((h) => h.split(' ')[0])).toEqual(['Basic', 'Digest']);
    const basic = `Basic ${Buffer.from('cpe1:secret').toString('base64')}`;
    const res = await httpRequest(url, { body: informXml(), ca, headers: { Authorization: basic } });
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']?.[0]).toMatch(/^acs_sid=/);
  });
});
