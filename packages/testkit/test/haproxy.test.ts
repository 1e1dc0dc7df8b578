import { Agent, createServer, get, type Server } from 'node:http';
import { freePort, startHaproxy, type HaproxyServer } from '../src/index.js';

interface Seen {
  backend: string;
  /** The proxy-side port of the upstream connection that carried the request. */
  upstream: number;
}

async function startBackend(name: string): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name, upstream: req.socket.remotePort }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, port };
}

function request(url: string, agent: Agent): Promise<Seen> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body) as Seen));
    }).on('error', reject);
  });
}

describe('HAProxy', () => {
  const backends: { server: Server; port: number }[] = [];
  const proxies: HaproxyServer[] = [];
  const agents: Agent[] = [];

  const agent = () => {
    // One socket per agent: each agent is one client connection to the proxy.
    const a = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(a);
    return a;
  };

  beforeAll(async () => {
    backends.push(await startBackend('g1'), await startBackend('g2'));
  });

  afterAll(async () => {
    for (const a of agents) a.destroy();
    for (const p of proxies) await p.stop();
    for (const b of backends) {
      b.server.closeAllConnections();
      await new Promise((r) => b.server.close(r));
    }
  });

  it('alternates between two backends, request by request, on one client connection', async () => {
    const proxy = await startHaproxy({ backends: backends.map((b) => ({ host: '127.0.0.1', port: b.port })) });
    proxies.push(proxy);
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);

    const client = agent();
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await request(`${proxy.url}/cwmp/`, client)).backend);

    expect(new Set(seen)).toEqual(new Set(['g1', 'g2']));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  it('with reuse, sends two clients\' requests over one upstream connection', async () => {
    const only = backends[0]!;
    const proxy = await startHaproxy({ backends: [{ host: '127.0.0.1', port: only.port }], reuse: true });
    proxies.push(proxy);

    const first = await request(`${proxy.url}/cwmp/`, agent());
    const second = await request(`${proxy.url}/cwmp/`, agent());
    expect(second.upstream).toBe(first.upstream);
  });

  it('without reuse, gives each client its own upstream connection', async () => {
    const only = backends[0]!;
    const proxy = await startHaproxy({ backends: [{ host: '127.0.0.1', port: only.port }] });
    proxies.push(proxy);

    const first = await request(`${proxy.url}/cwmp/`, agent());
    const second = await request(`${proxy.url}/cwmp/`, agent());
    expect(second.upstream).not.toBe(first.upstream);
  });
});
