import { randomBytes } from 'node:crypto';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createMemoryBus, MemoryBroker, type Bus } from '@acs/bus';
import { createSubjects, type RegistryClient, type Subjects } from '@acs/contracts';
import { encode, type CwmpEnvelope, type CwmpHeader, type CwmpMessage, type DeviceIdStruct, type EventStruct } from '@acs/cwmp';
import { createMemoryKv } from '@acs/kv';
import { createLogger } from '@acs/telemetry';
import { DIGEST, buildAuthorizationHeader, parseWWWAuthenticateHeader } from 'http-auth-utils';
import { DEFAULT_SETTINGS, type Gateway, type GatewayDeps, type GatewaySettings } from '../../src/gateway.js';
import { createGatewayService, type GatewayService } from '../../src/service.js';

export const CWMP_NS = 'urn:dslforum-org:cwmp-1-2';

/** Log lines of the gateways under test, parsed back from pino's JSON. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  write(line: string): void {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
  }
  withCode(code: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.code === code);
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every header as a list, duplicates kept (several WWW-Authenticate lines). */
  readonly distinct: Record<string, string[]>;
  readonly body: string;
}

export function httpRequest(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string>; agent?: Agent; ca?: Buffer } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const body = opts.body ?? '';
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(
      url,
      {
        method: opts.method ?? 'POST',
        headers: { 'Content-Length': String(Buffer.byteLength(body)), ...opts.headers },
        agent: opts.agent ?? false,
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            distinct: res.headersDistinct as Record<string, string[]>,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface Harness {
  readonly urls: string[];
  readonly gateways: Gateway[];
  readonly kv: ReturnType<typeof createMemoryKv>;
  /** A client on the same in-process broker, to watch events. */
  readonly observer: Bus;
  readonly subjects: Subjects;
  readonly logs: LogCapture;
  stop(): Promise<void>;
}

export const NONCE_SECRET = 'test-nonce-secret-0123456789';

/**
 * `count` gateway replicas on loopback sharing one in-memory kv (the stand-in for Redis) and one in-process bus
 * broker, like replicas sharing Redis and NATS.
 */
export async function startGateways(
  count: number,
  opts: {
    registry: RegistryClient;
    settings?: Partial<GatewaySettings>;
    now?: () => number;
    /** Serves GET /metrics. */
    metricsHandler?: GatewayDeps['metricsHandler'];
    /** Native TLS with these PEM files (URLs become https:). */
    tls?: { certFile: string; keyFile: string };
  },
): Promise<Harness> {
  const kv = createMemoryKv({ sweepIntervalMs: 0, ...(opts.now ? { now: opts.now } : {}) });
  const broker = new MemoryBroker();
  const subjects = createSubjects('acs');
  const logs = new LogCapture();
  const logger = createLogger({ service: 'cwmp-gateway-test', level: 'debug', destination: logs });
  const services: GatewayService[] = [];
  const buses: Bus[] = [];
  const urls: string[] = [];
  const settings: GatewaySettings = { ...DEFAULT_SETTINGS, nonceSecret: NONCE_SECRET, ...opts.settings };
  for (let i = 0; i < count; i += 1) {
    const bus = createMemoryBus({ broker });
    buses.push(bus);
    // The unit the service's main.ts runs: gateway and listener, on a free loopback port.
    const service = createGatewayService(
      {
        registry: opts.registry,
        kv,
        bus,
        subjects,
        logger: logger.child({ replica: i }),
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.metricsHandler ? { metricsHandler: opts.metricsHandler } : {}),
      },
      { gateway: settings, listen: { host: '127.0.0.1', port: 0 }, drainTimeoutMs: 0, ...(opts.tls ? { tls: opts.tls } : {}) },
    );
    services.push(service);
    urls.push((await service.start()).url);
  }
  const observer = createMemoryBus({ broker });
  return {
    urls,
    gateways: services.map((s) => s.gateway),
    kv,
    observer,
    subjects,
    logs,
    async stop() {
      for (const s of services) await s.stop();
      for (const b of [...buses, observer]) await b.close();
      await kv.close();
    },
  };
}

export const DEVICE: DeviceIdStruct = { manufacturer: 'Acme Networks', oui: '00A0C5', productClass: 'GW-500', serialNumber: 'AC5-000913' };
export const DEVICE_ID = '00A0C5-GW%2D500-AC5%2D000913';

export function envelope(body: CwmpMessage, header: CwmpHeader = {}, cwmpNamespace = CWMP_NS): string {
  const env: CwmpEnvelope = { cwmpNamespace, header, body };
  return encode(env);
}

export function informXml(
  opts: { id?: string; device?: DeviceIdStruct; events?: EventStruct[]; header?: CwmpHeader; cwmpNamespace?: string } = {},
): string {
  return envelope(
    {
      name: 'Inform',
      deviceId: opts.device ?? DEVICE,
      event: opts.events ?? [{ eventCode: '1 BOOT', commandKey: '' }],
      maxEnvelopes: 1,
      currentTime: '2026-11-26T08:00:00Z',
      retryCount: 0,
      parameterList: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: '5.2.1', type: 'string' }],
    },
    { id: opts.id ?? 'inf-1', ...opts.header },
    opts.cwmpNamespace,
  );
}

/**
 * A CPE as the gateway sees one: keeps (or drops) the session cookie, answers Digest challenges with
 * http-auth-utils, and can alternate between replicas.
 */
export class TestCpe {
  cookie: string | undefined;
  lastChallenge: string | undefined;
  nc = 0;
  constructor(
    readonly urls: string[],
    readonly credentials: { username: string; password: string },
    readonly opts: { agent?: Agent; keepCookies?: boolean } = {},
  ) {}

  async post(body: string, opts: { to?: number; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const url = this.urls[(opts.to ?? 0) % this.urls.length] as string;
    const headers: Record<string, string> = { 'Content-Type': 'text/xml; charset="utf-8"', ...opts.headers };
    if (this.cookie !== undefined && this.opts.keepCookies !== false) headers.Cookie = this.cookie;
    const res = await httpRequest(url, { body, headers, ...(this.opts.agent ? { agent: this.opts.agent } : {}) });
    const setCookie = res.headers['set-cookie']?.[0];
    if (setCookie !== undefined) this.cookie = setCookie.split(';')[0];
    const digest = res.distinct['www-authenticate']?.find((h) => h.startsWith('Digest '));
    if (digest !== undefined) this.lastChallenge = digest;
    return res;
  }

  /** The Authorization header answering the last Digest challenge (RFC 2617, qop=auth). */
  digestFor(path: string, password = this.credentials.password): string {
    if (this.lastChallenge === undefined) throw new Error('no challenge yet');
    const { data } = parseWWWAuthenticateHeader(this.lastChallenge, [DIGEST]);
    const d = data as { realm: string; nonce: string };
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = DIGEST.computeHash({
      algorithm: 'md5',
      method: 'POST',
      uri: path,
      realm: d.realm,
      username: this.credentials.username,
      password,
      nonce: d.nonce,
      nc,
      cnonce,
      qop: 'auth',
    });
    return buildAuthorizationHeader(DIGEST, { username: this.credentials.username, realm: d.realm, nonce: d.nonce, uri: path, response, qop: 'auth', nc, cnonce, algorithm: 'MD5' });
  }

  /** `body` the way curl --digest sends it: first without credentials (401), then answering the challenge. */
  async postWithDigest(body: string, opts: { to?: number } = {}): Promise<HttpResult> {
    const first = await this.post(body, opts);
    if (first.status !== 401) return first;
    const path = new URL(this.urls[(opts.to ?? 0) % this.urls.length] as string).pathname;
    return this.post(body, { ...opts, headers: { Authorization: this.digestFor(path) } });
  }

  /** Inform, 401, Inform with Digest: resolves with the InformResponse exchange. */
  async open(opts: { inform?: string; challengeTo?: number; to?: number } = {}): Promise<HttpResult> {
    const inform = opts.inform ?? informXml();
    const first = await this.post(inform, { to: opts.challengeTo ?? 0 });
    if (first.status !== 401) return first;
    const path = new URL(this.urls[(opts.to ?? 0) % this.urls.length] as string).pathname;
    return this.post(inform, { to: opts.to ?? 0, headers: { Authorization: this.digestFor(path) } });
  }
}

/** Polls `check` until it returns true or `ms` pass (never a fixed sleep). */
export async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
