// Starts the NBI over real HTTP on 127.0.0.1 against a real store, with an admin and a read token.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '@acs/telemetry';
import { freePort } from '@acs/testkit';
import { createNbi } from '../../src/nbi/create-nbi.js';
import type { NbiDeps } from '../../src/nbi/context.js';
import { createMemoryTokenStore } from '../../src/nbi/tokens.js';
import type { TokenStore } from '../../src/nbi/tokens.js';
import { createSecretBox } from '../../src/secrets.js';
import type { SecretBox } from '../../src/secrets.js';
import type { DeviceStore } from '../../src/store/device-store.js';

export const REALM = 'acs-test';

export interface NbiHarness {
  url: string;
  store: DeviceStore;
  tokens: TokenStore;
  secretBox: SecretBox;
  adminToken: string;
  readToken: string;
  /** Log lines the NBI wrote, parsed. */
  logs: Record<string, unknown>[];
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** Bearer token; default the admin token; null: no Authorization header. */
  token?: string | null;
  body?: unknown;
  /** Sent as is, with Content-Type application/json. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when there is none. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests poke into arbitrary response bodies
}

export async function startNbiHarness(store: DeviceStore, extra: Partial<NbiDeps> = {}): Promise<NbiHarness> {
  const tokens = extra.tokens ?? createMemoryTokenStore();
  const secretBox = extra.secretBox ?? createSecretBox(randomBytes(32).toString('base64'));
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ service: 'nbi-test', level: 'info', destination });
  const app = createNbi({ store, tokens, secretBox, realm: REALM, logger, ...extra });
  const port = await freePort();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const admin = await tokens.create('admin');
  const read = await tokens.create('read');
  const url = `http://127.0.0.1:${port}`;

  async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? admin.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  return {
    url,
    store,
    tokens,
    secretBox,
    adminToken: admin.token,
    readToken: read.token,
    logs,
    call,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A device id as @acs/contracts builds it, and its path segment (encoded once more). */
export const enc = (deviceId: string) => encodeURIComponent(deviceId);
