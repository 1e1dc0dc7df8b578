import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  readonly url: string;
  /** GETs served so far. */
  readonly downloads: number;
  stop(): Promise<void>;
}

/** Serves `content` at /firmware.bin on 127.0.0.1 (a Download's URL). */
export async function startFileServer(content: Buffer): Promise<FileServer> {
  let downloads = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/firmware.bin') {
      res.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    downloads++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(content.length) }).end(content);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/firmware.bin`,
    get downloads() {
      return downloads;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
