// The all-in-one with CONNREQ_XMPP_* set: the XMPP worker runs in the process, the catch-all type's profile
// provisions XMPP on a simulated CPE through Prosody, and a poke through the NBI goes out over XMPP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@acs/config';
import { deviceIdFromParts } from '@acs/contracts';
import { createFleet, type Fleet } from '@acs/cpe-sim';
import { startProsody, type ProsodyServer } from '@acs/testkit';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAllInOne, type AllInOne } from '../src/all-in-one.js';
import { allInOneOptions, appConfig } from '../src/config.js';

const TOKEN = 'xmpp-test-admin-token-0123456789';
const onboarding = { username: 'lab', password: 'lab-secret-1' };

describe('all-in-one with an XMPP server configured', () => {
  let prosody: ProsodyServer;
  let acs: AllInOne;
  let fleet: Fleet;
  const dir = mkdtempSync(join(tmpdir(), 'acs-xmpp-'));
  const nbi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${acs.nbiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    prosody = await startProsody({ users: [{ username: 'acs', password: 'acs-xmpp-pw' }] });
    const config = loadConfig(appConfig, {
      ACS_DATA_DIR: dir,
      CWMP_PORT: '0',
      NBI_PORT: '0',
      ACS_NBI_TOKEN: TOKEN,
      ACS_ONBOARDING_USERNAME: onboarding.username,
      ACS_ONBOARDING_PASSWORD: onboarding.password,
      CONNREQ_XMPP_SERVICE: `xmpp://${prosody.host}:${prosody.port}`,
      CONNREQ_XMPP_DOMAIN: prosody.domain,
      CONNREQ_XMPP_PASSWORD: 'acs-xmpp-pw',
      CONNREQ_XMPP_CA_FILE: prosody.caFile,
      LOG_LEVEL: 'silent',
    });
    acs = await createAllInOne({ ...allInOneOptions(config) });
    fleet = createFleet({ acsUrl: acs.cwmpUrl, count: 1, serialPrefix: 'AIOX', username: onboarding.username, password: onboarding.password, xmpp: { caFile: prosody.caFile }, retry: false });
    await fleet.start();
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop();
    await acs?.stop();
    await prosody?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says it runs the XMPP worker, provisions the CPE, and pokes it over XMPP first', async () => {
    expect(acs.xmpp).toEqual({ server: `xmpp://${prosody.host}:${prosody.port}`, jid: `acs@${prosody.domain}` });
    const catchAll = (await nbi('GET', '/device-types')).body.items as { id: string; catchAll: boolean }[];
    const typeId = catchAll.find((t) => t.catchAll)?.id ?? '';
    expect((await nbi('PUT', `/device-types/${typeId}`, { connectionRequestPolicy: { xmpp: { keepAliveInterval: 300 } } })).status).toBe(200);

    const cpe = fleet.cpes[0];
    if (!cpe) throw new Error('no CPE');
    const [boot] = await fleet.run({ sessions: 1, events: ['0 BOOTSTRAP', '1 BOOT'] });
    expect(boot?.error?.message ?? 'ok').toBe('ok');
    const id = deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
    const deadline = Date.now() + 20_000;
    let jid: unknown;
    while (Date.now() < deadline) {
      const device = (await nbi('GET', `/devices/${encodeURIComponent(id)}`)).body as { connectionRequest?: { connReqJabberID?: string | null } };
      jid = device.connectionRequest?.connReqJabberID;
      if (jid) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(jid).toMatch(new RegExp(`@${prosody.domain.replace('.', '\\.')}/ConnReq$`));
    await cpe.whenIdle();
    const poked = await nbi('POST', `/devices/${encodeURIComponent(id)}/poke?wait=10`);
    expect(poked.body).toMatchObject({ outcome: 'accepted', transport: 'xmpp' });
  }, 60_000);
});
