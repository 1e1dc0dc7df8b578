import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createNatsBus } from '@acs/bus';
import { createSubjects, decodeJson, parseXmppAccountEnsureReply } from '@acs/contracts';
import { freePort, startNats, startProsody, type NatsServer, type ProsodyServer } from '@acs/testkit';
import { ACS, canLogin } from './support/xmpp.js';

// main.ts as it is deployed: its own process, configured by the environment, stopped by SIGTERM.
const pkgDir = fileURLToPath(new URL('..', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: pkgDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = async (text: string) => {
    while (!out.includes(text)) {
      const more = new Promise<void>((resolve) => waiters.push(resolve));
      if ((await Promise.race([more.then(() => 'more'), exited])) !== 'more') throw new Error(`exited before printing ${text}:\n${out}${err}`);
    }
  };
  return { child, exited, printed, stderr: () => err };
}

describe('main.ts', () => {
  let nats: NatsServer;
  let server: ProsodyServer;

  beforeAll(async () => {
    [nats, server] = await Promise.all([startNats(), startProsody({ users: [ACS] })]);
  });

  afterAll(async () => {
    await Promise.all([nats?.stop(), server?.stop()]);
  });

  it('exits 2 naming the missing variables', async () => {
    const p = run({});
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/CONNREQ_XMPP_SERVICE[\s\S]*CONNREQ_XMPP_PASSWORD/);
  });

  it('starts from the environment, serves /readyz and the account endpoints, and drains on SIGTERM', async () => {
    const prefix = `m${randomUUID().slice(0, 8)}.acs`;
    const healthPort = await freePort();
    const p = run({
      NATS_URL: nats.url,
      ACS_SUBJECT_PREFIX: prefix,
      CONNREQ_XMPP_SERVICE: `xmpp://${server.host}:${server.port}`,
      CONNREQ_XMPP_DOMAIN: server.domain,
      CONNREQ_XMPP_PASSWORD: ACS.password,
      CONNREQ_XMPP_CA_FILE: server.caFile,
      CONNREQ_XMPP_HEALTH_PORT: String(healthPort),
      CONNREQ_XMPP_CPE_SERVER_ADDRESS: 'xmpp.acs.example',
    });
    try {
      await p.printed('"msg":"XMPP session online"');
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { ready: true, xmpp: 'online', consumer: 'running' }]);

      const bus = await createNatsBus({ servers: nats.url, name: 'registry' });
      const subjects = createSubjects(prefix);
      const reply = await bus.request(subjects.xmpp.accountEnsure, { username: 'cpe-main', password: 'pw' }, { timeoutMs: 10_000 });
      await bus.close();
      const body = decodeJson(reply.data, 'reply');
      expect(body.ok && parseXmppAccountEnsureReply(body.value)).toMatchObject({
        ok: true,
        value: { jid: `cpe-main@${server.domain}`, server: { address: 'xmpp.acs.example', port: server.port }, allowedJids: [`acs@${server.domain}`] },
      });
      expect(await canLogin(server, 'cpe-main', 'pw')).toBe(true);

      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
