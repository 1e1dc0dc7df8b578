import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from '@acs/testkit';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

// docker-compose.yml, checked statically (no Docker engine runs here): Debian's docker-compose validates it against
// the Compose schema and resolves it without a daemon; the parsed file is checked for the shape it promises.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMPOSE = `${ROOT}docker-compose.yml`;
const SECRETS = { ACS_SECRET_KEY: 'k', CWMP_NONCE_SECRET: 'n', CONNREQ_XMPP_PASSWORD: 'x', STUN_SECRET: 's' };

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
  ports?: string[];
  depends_on?: unknown;
}

describe('docker-compose.yml', () => {
  const compose = requireBinary('docker-compose', 'apt-get install -y docker-compose');
  const config = (env: Record<string, string>) => run(compose, ['-f', COMPOSE, 'config'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });

  it('is valid Compose and resolves with the secrets given', async () => {
    const { stdout } = await config(SECRETS);
    const resolved = parse(stdout) as { services: Record<string, Service> };
    const services = resolved.services;
    expect(Object.keys(services).sort()).toEqual(['connreq-http', 'connreq-stun', 'connreq-xmpp', 'gateway-1', 'gateway-2', 'haproxy', 'mongo', 'nats', 'prosody', 'redis', 'registry']);
    // The workers deployed are the transports the router plans.
    expect(services.registry?.environment?.REGISTRY_CONNREQ_TRANSPORTS).toBe('http,xmpp,udp');
    expect(services['connreq-stun']?.ports).toEqual([expect.stringMatching(/:3478:3478\/udp$/)]);
    for (const name of ['registry', 'gateway-1', 'gateway-2', 'connreq-http', 'connreq-xmpp', 'connreq-stun']) expect([name, services[name]?.healthcheck]).toEqual([name, expect.objectContaining({ test: expect.arrayContaining([expect.stringContaining('/readyz')]) })]);
  });

  it('refuses to resolve without the secrets instead of starting with empty ones', async () => {
    const { STUN_SECRET: _missing, ...rest } = SECRETS;
    await expect(config(rest)).rejects.toMatchObject({ stderr: expect.stringContaining('STUN_SECRET') });
  });

  it('puts two gateways behind the round robin, without stickiness', () => {
    const haproxy = readFileSync(`${ROOT}deploy/compose/haproxy.cfg`, 'utf8').replace(/#.*$/gm, '');
    expect(haproxy).toMatch(/balance\s+roundrobin/);
    expect(haproxy).not.toMatch(/\bstick|cookie\b/);
    expect(haproxy).toMatch(/server\s+\S+\s+gateway-1:7547/);
    expect(haproxy).toMatch(/server\s+\S+\s+gateway-2:7547/);
  });
});

// The image (no engine here to build it): one target per service, each with its command, a HEALTHCHECK on its
// /readyz and the non-root user; the default target is the all-in-one compose runs with per-service commands.
describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(`${ROOT}deploy/Dockerfile`, 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1).map((stage) => ({ name: /^\S+\s+AS\s+(\S+)/.exec(stage)?.[1], body: stage }));

  it('has a target per service with its command and a health check, non-root, on a maintained Node LTS', () => {
    for (const service of ['cwmp-gateway', 'device-registry', 'connreq-http', 'connreq-xmpp', 'connreq-stun']) {
      const stage = stages.find((s) => s.name === service);
      expect([service, stage?.body]).toEqual([service, expect.stringContaining(`CMD ["services/${service}/dist/main.js"]`)]);
      expect(stage?.body).toMatch(/HEALTHCHECK .*\/readyz/);
    }
    const runtime = stages.find((s) => s.name === 'runtime')?.body ?? '';
    expect(runtime).toMatch(/^node:(2[2-9]|[3-9]\d)-slim /);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(stages.at(-1)?.name).toBe('acs');
  });
});

