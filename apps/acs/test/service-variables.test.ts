import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFleet } from '@acs/cpe-sim';
import { encode, type DeviceIdStruct } from '@acs/cwmp';
import { createNonceService } from '@acs/cwmp-gateway';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMain, stopMain, type RunningMain } from './support/main-process.js';

// The services' own variables, set on `npm start`: each must change what the one process does.
const ONBOARDING = { username: 'env-cpe', password: randomBytes(12).toString('base64url') };
const NONCE_SECRET = randomBytes(24).toString('base64url');
const NONCE_TTL_MS = 5_000;
// Room for the fleet's Inform and GetParameterValuesResponses, far under the 4 MiB default.
const MAX_BODY_BYTES = 64 * 1024;
const REFRESH_BATCH = 40;
const REALM = 'acs';

let dataDir: string;
let acs: RunningMain;
let cwmpUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'acs-env-'));
  acs = await startMain({
    ACS_DATA_DIR: dataDir,
    CWMP_PORT: '0',
    NBI_PORT: '0',
    ACS_ONBOARDING_USERNAME: ONBOARDING.username,
    ACS_ONBOARDING_PASSWORD: ONBOARDING.password,
    CWMP_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    CWMP_TRUSTED_PROXIES: 'loopback',
    CWMP_NONCE_SECRET: NONCE_SECRET,
    CWMP_NONCE_TTL_MS: `${NONCE_TTL_MS / 1000}s`,
    REGISTRY_REFRESH_BATCH: String(REFRESH_BATCH),
  });
  cwmpUrl = acs.lines['CWMP endpoint'] as string;
});

afterAll(async () => {
  if (acs) expect(await stopMain(acs)).toBe(0);
  rmSync(dataDir, { recursive: true, force: true });
});

function inform(serialNumber: string): string {
  const deviceId: DeviceIdStruct = { manufacturer: 'Env', oui: '00E0E0', productClass: 'EnvGW', serialNumber };
  return encode({
    cwmpNamespace: 'urn:dslforum-org:cwmp-1-2',
    header: { id: 'inform-1' },
    body: { name: 'Inform', deviceId, event: [{ eventCode: '1 BOOT', commandKey: '' }], maxEnvelopes: 1, currentTime: new Date().toISOString(), retryCount: 0, parameterList: [] },
  });
}

function post(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(cwmpUrl, { method: 'POST', body, headers: { 'content-type': 'text/xml; charset="utf-8"', ...headers } });
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** RFC 2617 Digest (MD5, qop=auth) over the onboarding credentials, with the nonce given. */
function digest(nonce: string): string {
  const uri = new URL(cwmpUrl).pathname;
  const cnonce = randomBytes(8).toString('hex');
  const response = md5(`${md5(`${ONBOARDING.username}:${REALM}:${ONBOARDING.password}`)}:${nonce}:00000001:${cnonce}:auth:${md5(`POST:${uri}`)}`);
  return `Digest username="${ONBOARDING.username}", realm="${REALM}", nonce="${nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}", response="${response}"`;
}

describe('npm start honours the services’ variables', () => {
  it('CWMP_MAX_BODY_BYTES: a body over the configured limit gets 413, one under it reaches the login', async () => {
    expect((await post('x'.repeat(MAX_BODY_BYTES * 2))).status).toBe(413);
    expect((await post('x'.repeat(MAX_BODY_BYTES / 2))).status).toBe(401);
  });

  it('CWMP_TRUSTED_PROXIES: X-Forwarded-Proto from a configured proxy makes Basic acceptable', async () => {
    const basic = `Basic ${Buffer.from(`${ONBOARDING.username}:${ONBOARDING.password}`).toString('base64')}`;
    // Plain HTTP without the proxy's word: Basic is not acceptable, the answer is a Digest challenge.
    expect((await post(inform('PROXY1'), { authorization: basic })).status).toBe(401);
    const proxied = await post(inform('PROXY2'), { authorization: basic, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' });
    expect(proxied.status).toBe(200);
    expect(await proxied.text()).toContain('InformResponse');
  });

  it('CWMP_NONCE_SECRET and CWMP_NONCE_TTL_MS: a nonce signed with the secret is valid, one older than the TTL is stale', async () => {
    const minted = (ageMs: number) => createNonceService({ secret: NONCE_SECRET, ttlMs: NONCE_TTL_MS, now: () => Date.now() - ageMs }).issue(REALM);
    const fresh = await post(inform('NONCE1'), { authorization: digest(minted(0)) });
    expect(fresh.status).toBe(200);
    // A minute old: valid under the default TTL (5 min), stale under the configured one.
    const old = await post(inform('NONCE2'), { authorization: digest(minted(60_000)) });
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toContain('stale="true"');
  });

  it('REGISTRY_REFRESH_BATCH: the first session’s discovery reads the parameters in batches of the configured size', async () => {
    const fleet = createFleet({ acsUrl: cwmpUrl, count: 1, serialPrefix: 'BATCH', ...ONBOARDING, connectionRequest: false, xmpp: false, retry: false });
    await fleet.start();
    try {
      const [result] = await fleet.run({ sessions: 1 });
      expect(result?.error?.message).toBeUndefined();
      const size = (fleet.cpes[0] as (typeof fleet.cpes)[number]).model.size;
      expect(size).toBeGreaterThan(REFRESH_BATCH * 3);
      expect(result?.rpcs.filter((rpc) => rpc === 'GetParameterValues')).toHaveLength(Math.ceil(size / REFRESH_BATCH));
    } finally {
      await fleet.stop();
    }
  });
});
