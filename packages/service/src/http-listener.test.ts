import { createServer, request, Agent, type IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { closeServer, listen, urlOf } from './http-listener.js';

function get(url: string, agent: Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request(url, { agent }, resolve).on('error', reject).end());
}

describe('http listener', () => {
  it('listens on a free port for 0 and names it in the URL; a taken port rejects', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const address = await listen(server, { host: '127.0.0.1', port: 0 });
    expect(address.port).toBeGreaterThan(0);
    expect(urlOf(address, '/cwmp/')).toBe(`http://127.0.0.1:${address.port}/cwmp/`);
    expect(urlOf({ address: '::1', family: 'IPv6', port: 1 }, '/', 'https')).toBe('https://[::1]:1/');
    const second = createServer();
    await expect(listen(second, { host: '127.0.0.1', port: address.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await closeServer(server);
  });

  it('closes idle keep-alive connections at once: a drain timeout longer than the test does not hold it', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const url = urlOf(await listen(server, { host: '127.0.0.1', port: 0 }), '/');
    const agent = new Agent({ keepAlive: true });
    const idle = await get(url, agent);
    idle.resume();
    await new Promise((resolve) => idle.once('end', resolve));
    await closeServer(server, 600_000);
    expect(server.listening).toBe(false);
    agent.destroy();
  });

  it('cuts a request still in flight at the drain timeout', async () => {
    let reached: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => (reached = resolve));
    const server = createServer(() => reached());
    const url = urlOf(await listen(server, { host: '127.0.0.1', port: 0 }), '/hang');
    const agent = new Agent({ keepAlive: true });
    const busy = get(url, agent).catch((err: unknown) => err);
    await inHandler;
    await closeServer(server, 100);
    expect(await busy).toMatchObject({ code: 'ECONNRESET' });
    await closeServer(server);
    agent.destroy();
  });
});
