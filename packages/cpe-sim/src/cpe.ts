import { randomBytes } from 'node:crypto';
import { CwmpParseError, decode, encode, makeFault } from '@acs/cwmp';
import type {
  AcsRequest,
  CpeResponse,
  CwmpEnvelope,
  CwmpMessage,
  DeviceIdStruct,
  Download,
  EventStruct,
  Fault,
  Inform,
  TransferComplete,
} from '@acs/cwmp';
import { Agent, Headers, getSetCookies } from 'undici';
import { HttpClient } from 'urllib';
import {
  createHttpConnectionRequestEndpoint,
  type ConnectionRequestBehaviour,
  type ConnectionRequestEndpoint,
} from './connection-request.js';
import {
  AcsAuthError,
  AcsHttpError,
  AcsUnavailableError,
  AcsUnreachableError,
  CpeStoppedError,
  CwmpProtocolError,
  SessionError,
  SessionTimeoutError,
} from './errors.js';
import { fetchFile } from './download.js';
import { nowIso } from './iso-time.js';
import type { LoginSlots } from './login-slots.js';
import { createRateLimit } from './rate-limit.js';
import { SessionConnections } from './session-connections.js';
import { createUdpConnectionRequestEndpoint, type UdpConnectionRequestEndpoint, type UdpConnectionRequestSettings } from './udp-connection-request.js';
import { createXmppConnectionRequestEndpoint, type XmppConnectionRequestEndpoint } from './xmpp-connection-request.js';
import { createDataModel, type DataModel, type DataModelSpec } from './model/data-model.js';

export const DEFAULT_CWMP_NAMESPACE = 'urn:dslforum-org:cwmp-1-2';
const UNKNOWN_TIME = '0001-01-01T00:00:00Z';
const MAX_MESSAGES_PER_SESSION = 10_000;

/** Methods this simulated CPE answers (GetRPCMethods). */
export const CPE_RPC_METHODS = [
  'GetRPCMethods',
  'SetParameterValues',
  'GetParameterValues',
  'GetParameterNames',
  'SetParameterAttributes',
  'GetParameterAttributes',
  'AddObject',
  'DeleteObject',
  'Reboot',
  'Download',
  'FactoryReset',
  'ScheduleInform',
] as const;

export type AcsAuthMode = 'digest' | 'basic' | 'none';

export interface CpeConnectionRequestOptions {
  /** Bind address of the HTTP listener (default 127.0.0.1). */
  host?: string;
  /** Port of the HTTP listener (default 0: any free port). */
  port?: number;
  path?: string;
  /** Window of the connection-request rate limit, shared by the HTTP and XMPP endpoints. */
  rateLimitMs?: number;
  behaviour?: ConnectionRequestBehaviour;
  slowMs?: number;
}

/** The XMPP (Annex K) endpoint: it logs in once the ACS has provisioned XMPP.Connection and ConnReqXMPPConnection. */
export interface CpeXmppOptions {
  /** PEM CA(s) to trust for the XMPP server's certificate (e.g. Prosody's self-signed one). */
  ca?: string | Buffer;
  behaviour?: ConnectionRequestBehaviour;
  slowMs?: number;
  /** Shared by a fleet to bound concurrent logins. */
  loginSlots?: LoginSlots;
  /** Bound of one login and of each keep-alive ping, in ms. Default 10 000. */
  timeoutMs?: number;
}

export interface CpeOptions {
  /**
   * The model spec, or a function building it once the connection-request URL is known
   * (bundledModelSpec / csvModelSpec with a ModelContext).
   */
  model: DataModelSpec | ((ctx: { connectionRequestUrl: string }) => DataModelSpec);
  deviceId: DeviceIdStruct;
  /** Used when the model has no ManagementServer.URL value. */
  acsUrl?: string;
  /**
   * How to authenticate to the ACS with ManagementServer.Username/Password: answer a Digest
   * challenge (default), send Basic up front, or send nothing.
   */
  auth?: AcsAuthMode;
  /** false: no connection-request listener at all. */
  connectionRequest?: CpeConnectionRequestOptions | false;
  /** false: ignore XMPP provisioning. Default: an XMPP endpoint with default options. */
  xmpp?: CpeXmppOptions | false;
  /** false: ignore STUNEnable. Default: a STUN client / UDP listener that opens once STUNEnable is true. */
  stun?: UdpConnectionRequestSettings | false;
  /** Extra endpoints built by the caller; started and stopped with the CPE. */
  endpoints?: (cpe: { requestConnection(): void }) => ConnectionRequestEndpoint[];
  /** Run PeriodicInformInterval timers (when PeriodicInformEnable is true). Default false. */
  periodicInform?: boolean;
  /** Retry failed sessions by themselves with the TR-069 back-off. Default true. */
  retry?: boolean;
  /** Overrides CWMPRetryMinimumWaitInterval (seconds) of the model. */
  retryMinWaitS?: number;
  /**
   * Length of one protocol "second" in ms for every delay the CPE waits (DelaySeconds,
   * Retry-After, retry windows, periodic interval). Default 1000; tests shrink it.
   */
  secondMs?: number;
  /** Per-HTTP-request timeout. Default 30 000. */
  httpTimeoutMs?: number;
  /** Time between the end of a Reboot/FactoryReset session and the boot Inform. Default 0. */
  rebootDelayMs?: number;
  cwmpNamespace?: string;
  /**
   * HTTP client towards the ACS and file servers; by default each CPE owns one. Its dispatcher serves
   * the file servers only: each session talks to the ACS on a connection of its own.
   */
  httpClient?: HttpClient;
}

/** The outcome of one CWMP session: values, never thrown. */
export interface SessionResult {
  ok: boolean;
  /** Events sent in the Inform. */
  events: string[];
  /** ACS requests handled, in order. */
  rpcs: string[];
  /** CWMP fault codes: sent by the CPE in answer to ACS requests or received from the ACS. */
  faults: number[];
  retryCount: number;
  startedAt: number;
  durationMs: number;
  httpRequests: number;
  error?: SessionError;
}

export interface Cpe {
  readonly deviceId: DeviceIdStruct;
  readonly model: DataModel;
  /** ConnectionRequestURL currently published ('' without an HTTP listener). */
  readonly connectionRequestUrl: string;
  /** The XMPP connection-request endpoint (undefined with `xmpp: false` or before start()). */
  readonly xmpp: XmppConnectionRequestEndpoint | undefined;
  /** The STUN / UDP connection-request endpoint (undefined with `stun: false` or before start()). */
  readonly stun: UdpConnectionRequestEndpoint | undefined;
  readonly retryCount: number;
  /** Starts the listeners and, unless `inform: false`, the boot session (0 BOOTSTRAP on first contact, 1 BOOT). */
  start(opts?: { inform?: boolean }): Promise<void>;
  /** Adds events (e.g. '2 PERIODIC') and resolves with the next session that runs (a STOPPED failure before start()). */
  inform(events?: string[]): Promise<SessionResult>;
  /** What a connection request does: queue `6 CONNECTION REQUEST` and open a session. */
  requestConnection(): void;
  pendingEvents(): EventStruct[];
  /** Resolves when no session is running or queued (retry timers excepted). */
  whenIdle(): Promise<void>;
  onSession(listener: (result: SessionResult) => void): () => void;
  stop(): Promise<void>;
}

interface PendingTransfer {
  message: TransferComplete;
}

type AfterSession =
  | { kind: 'reboot'; commandKey: string }
  | { kind: 'factory-reset' }
  | { kind: 'schedule-inform'; delaySeconds: number; commandKey: string }
  | { kind: 'download'; request: Download };

// Events that stay pending until a specific CPE request got its response (cwmp-protocol.md §4.3).
const AWAITS_TRANSFER_COMPLETE = new Set(['7 TRANSFER COMPLETE', 'M Download']);

/**
 * The wait window in seconds before retry `n` (1 = first retry): [m·k^(n−1), m·k^n] with
 * k = multiplier/1000 and n capped at 10 (TR-069 §3.2.1.1, cwmp-protocol.md §1.7).
 */
export function retryWindowS(n: number, minWaitS = 5, multiplier = 2000): [number, number] {
  const k = multiplier / 1000;
  const c = Math.min(Math.max(n, 1), 10);
  return [minWaitS * k ** (c - 1), minWaitS * k ** c];
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

export function createCpe(opts: CpeOptions): Cpe {
  const ns = opts.cwmpNamespace ?? DEFAULT_CWMP_NAMESPACE;
  const secondMs = opts.secondMs ?? 1_000;
  const httpTimeoutMs = opts.httpTimeoutMs ?? 30_000;
  const authMode = opts.auth ?? 'digest';
  const listeners = new Set<(r: SessionResult) => void>();
  const timers = new Set<NodeJS.Timeout>();
  let pending: EventStruct[] = [];
  let transfers: PendingTransfer[] = [];
  let afterSession: AfterSession[] = [];
  let bootstrapped = false;
  let retryCount = 0;
  let running: Promise<void> | undefined;
  let wanted = false;
  // Until start(): no sessions.
  let stopped = true;
  let retryTimer: NodeJS.Timeout | undefined;
  let periodicTimer: NodeJS.Timeout | undefined;
  let nextWaiters: ((r: SessionResult) => void)[] = [];

  let http: HttpClient | undefined = opts.httpClient;
  let agent: Agent | undefined;
  const client = (): HttpClient => {
    if (http) return http;
    // An Agent of our own: urllib's default is undici's process-wide one, which we must not close.
    agent = new Agent();
    http = new HttpClient();
    http.setDispatcher(agent);
    return http;
  };
  const endpoints: ConnectionRequestEndpoint[] = [];
  let httpEndpoint: ConnectionRequestEndpoint | undefined;
  let xmppEndpoint: XmppConnectionRequestEndpoint | undefined;
  let udpEndpoint: UdpConnectionRequestEndpoint | undefined;
  // One limit for every transport: an ACS poking over HTTP, XMPP and UDP at once gets one session.
  const crRateLimit = createRateLimit(opts.connectionRequest ? opts.connectionRequest.rateLimitMs : undefined);
  const crCredentials = () => ({
    username: model.getValue(msName('ConnectionRequestUsername')) ?? '',
    password: model.getValue(msName('ConnectionRequestPassword')) ?? '',
  });

  const spec = typeof opts.model === 'function' ? undefined : opts.model;
  // The model is built lazily when it needs the listener's URL.
  let model: DataModel = createDataModel(spec ?? (opts.model as (ctx: { connectionRequestUrl: string }) => DataModelSpec)({ connectionRequestUrl: '' }));
  const msName = (leaf: string) => `${model.root}ManagementServer.${leaf}`;

  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  const addEvent = (eventCode: string, commandKey = '') => {
    // Numbered events are single; M events are one per CommandKey (cwmp-protocol.md §4.2).
    const single = /^\d+ /.test(eventCode);
    const dup = pending.some((e) => e.eventCode === eventCode && (single || e.commandKey === commandKey));
    if (!dup) pending.push({ eventCode, commandKey });
  };

  const publishConnectionRequestUrl = () => {
    const url = httpEndpoint?.url ?? '';
    const name = msName('ConnectionRequestURL');
    if (model.has(name) && model.getValue(name) !== url) {
      // Our own boot-time publication: the boot Inform carries it (forced), no extra session.
      publishing = true;
      try {
        model.setLocal(name, url);
      } finally {
        publishing = false;
      }
    }
  };

  let publishing = false;
  const watchModel = () =>
    model.onChange((change) => {
      if (publishing) return;
      if (change.source === 'acs') {
        // A new ACS URL means a new ACS: bootstrap to it (cwmp-protocol.md §10.2).
        if (change.name === msName('URL')) {
          bootstrapped = false;
          addEvent('0 BOOTSTRAP');
        }
        if (change.name === msName('PeriodicInformEnable') || change.name === msName('PeriodicInformInterval')) schedulePeriodic();
        return;
      }
      const attrs = model.getParameterAttributes([change.name]);
      const notification = attrs.name === 'GetParameterAttributesResponse' ? (attrs.parameterList[0]?.notification ?? 0) : 0;
      if (notification >= 1) addEvent('4 VALUE CHANGE');
      if (notification === 2) requestSession();
    });
  let unwatch = watchModel();

  const schedulePeriodic = () => {
    if (periodicTimer) {
      clearTimeout(periodicTimer);
      timers.delete(periodicTimer);
      periodicTimer = undefined;
    }
    if (!opts.periodicInform || stopped) return;
    const enabled = ['true', '1'].includes(model.getValue(msName('PeriodicInformEnable')) ?? 'false');
    const interval = Number(model.getValue(msName('PeriodicInformInterval')) ?? '0');
    if (!enabled || !(interval > 0)) return;
    periodicTimer = later(interval * secondMs, () => {
      periodicTimer = undefined;
      addEvent('2 PERIODIC');
      requestSession();
      schedulePeriodic();
    });
  };

  const requestSession = () => {
    if (stopped) return;
    wanted = true;
    if (retryTimer) {
      // A new event may trigger an immediate attempt (cwmp-protocol.md §1.7).
      clearTimeout(retryTimer);
      timers.delete(retryTimer);
      retryTimer = undefined;
    }
    kick();
  };

  const kick = () => {
    if (running || stopped) return;
    running = drain().finally(() => {
      running = undefined;
      // A request may land between the loop's last check and this point.
      if (wanted) kick();
    });
  };

  const drain = async () => {
    while (wanted && !stopped) {
      wanted = false;
      const waiters = nextWaiters;
      nextWaiters = [];
      const result = await runSession();
      for (const w of waiters) w(result);
      for (const l of listeners) l(result);
      if (result.ok) {
        retryCount = 0;
        runAfterSession();
      } else {
        afterSession = [];
        // 6 CONNECTION REQUEST is never retried (cwmp-protocol.md §4.1).
        pending = pending.filter((e) => e.eventCode !== '6 CONNECTION REQUEST');
        retryCount++;
        if (opts.retry !== false && !stopped) {
          // Whatever was asked meanwhile goes with the retry, after the back-off.
          wanted = false;
          scheduleRetry(result.error);
        }
      }
    }
  };

  const scheduleRetry = (error: SessionError | undefined) => {
    let delayS: number;
    if (error instanceof AcsUnavailableError && error.retryAfterS !== undefined) {
      delayS = error.retryAfterS;
    } else {
      const m = opts.retryMinWaitS ?? (Number(model.getValue(msName('CWMPRetryMinimumWaitInterval'))) || 5);
      const multiplier = Number(model.getValue(msName('CWMPRetryIntervalMultiplier'))) || 2000;
      const [lo, hi] = retryWindowS(retryCount, m, multiplier);
      delayS = lo + Math.random() * (hi - lo);
    }
    retryTimer = later(delayS * secondMs, () => {
      retryTimer = undefined;
      requestSession();
    });
  };

  const reboot = () => {
    // Value changes and connection requests do not survive a reboot (cwmp-protocol.md §4.1).
    pending = pending.filter((e) => e.eventCode !== '4 VALUE CHANGE' && e.eventCode !== '6 CONNECTION REQUEST');
    model.clearChanges();
    addEvent('1 BOOT');
  };

  const runAfterSession = () => {
    const actions = afterSession;
    afterSession = [];
    for (const a of actions) {
      switch (a.kind) {
        case 'reboot':
          reboot();
          addEvent('M Reboot', a.commandKey);
          later(opts.rebootDelayMs ?? 0, requestSession);
          break;
        case 'factory-reset':
          unwatch();
          model.reset();
          unwatch = watchModel();
          publishConnectionRequestUrl();
          // A reset model announces no changes: the XMPP endpoint re-reads it (XMPP is gone: log out).
          xmppEndpoint?.refresh();
          udpEndpoint?.refresh();
          model.clearChanges();
          pending = [];
          transfers = [];
          bootstrapped = false;
          addEvent('0 BOOTSTRAP');
          addEvent('1 BOOT');
          schedulePeriodic();
          later(opts.rebootDelayMs ?? 0, requestSession);
          break;
        case 'schedule-inform':
          later(a.delaySeconds * secondMs, () => {
            addEvent('3 SCHEDULED');
            addEvent('M ScheduleInform', a.commandKey);
            requestSession();
          });
          break;
        case 'download':
          later(a.request.delaySeconds * secondMs, () => {
            void performDownload(a.request);
          });
          break;
        default: {
          const never: never = a;
          throw new Error(`unhandled action ${String(never)}`);
        }
      }
    }
  };

  const performDownload = async (d: Download) => {
    const startTime = nowIso();
    const faultStruct = await fetchFile(client(), d, httpTimeoutMs);
    if (stopped) return;
    transfers.push({
      message: { name: 'TransferComplete', commandKey: d.commandKey, faultStruct, startTime, completeTime: nowIso() },
    });
    addEvent('7 TRANSFER COMPLETE');
    addEvent('M Download', d.commandKey);
    requestSession();
  };

  const handleAcsRequest = (req: AcsRequest): CpeResponse | Fault => {
    switch (req.name) {
      case 'GetRPCMethods':
        return { name: 'GetRPCMethodsResponse', methodList: [...CPE_RPC_METHODS] };
      case 'SetParameterValues':
        return model.setParameterValues(req.parameterList, req.parameterKey);
      case 'GetParameterValues':
        return model.getParameterValues(req.parameterNames);
      case 'GetParameterNames':
        return model.getParameterNames(req.parameterPath, req.nextLevel);
      case 'SetParameterAttributes':
        return model.setParameterAttributes(req.parameterList);
      case 'GetParameterAttributes':
        return model.getParameterAttributes(req.parameterNames);
      case 'AddObject':
        return model.addObject(req.objectName, req.parameterKey);
      case 'DeleteObject':
        return model.deleteObject(req.objectName, req.parameterKey);
      case 'Reboot':
        afterSession.push({ kind: 'reboot', commandKey: req.commandKey });
        return { name: 'RebootResponse' };
      case 'FactoryReset':
        afterSession.push({ kind: 'factory-reset' });
        return { name: 'FactoryResetResponse' };
      case 'ScheduleInform':
        if (!(req.delaySeconds >= 0)) return makeFault(9003, 'DelaySeconds must be a non-negative integer');
        afterSession.push({ kind: 'schedule-inform', delaySeconds: req.delaySeconds, commandKey: req.commandKey });
        return { name: 'ScheduleInformResponse' };
      case 'Download':
        if (!isHttpUrl(req.url)) return makeFault(9013, 'Only http and https downloads are supported');
        afterSession.push({ kind: 'download', request: req });
        // Status 1: the transfer completes later and is reported with TransferComplete.
        return { name: 'DownloadResponse', status: 1, startTime: UNKNOWN_TIME, completeTime: UNKNOWN_TIME };
      case 'Upload':
      case 'ScheduleDownload':
      case 'CancelTransfer':
      case 'GetQueuedTransfers':
      case 'GetAllQueuedTransfers':
      case 'ChangeDUState':
        return makeFault(9000, `${req.name} is not supported by this CPE`);
      default: {
        const never: never = req;
        return makeFault(9000, `unknown method ${String((never as { name: string }).name)}`);
      }
    }
  };

  const runSession = async (): Promise<SessionResult> => {
    const startedAt = Date.now();
    const events = pending.map((e) => ({ ...e }));
    const result: SessionResult = {
      ok: false,
      events: events.map((e) => e.eventCode),
      rpcs: [],
      faults: [],
      retryCount,
      startedAt,
      durationMs: 0,
      httpRequests: 0,
    };
    const cookies = new Map<string, string>();
    // One connection for the whole session, closed at its end, as a real CPE does: ACSs that bind a
    // session to its socket (GenieACS) reject a request arriving on another one. A shared pool sent
    // the Digest retry on a second connection (the 401's was not released yet), then alternated.
    const connection = new SessionConnections();
    const acsUrl = model.getValue(msName('URL')) || opts.acsUrl || '';
    const username = model.getValue(msName('Username')) ?? '';
    const password = model.getValue(msName('Password')) ?? '';

    const post = async (body: string): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> => {
      if (stopped) throw new CpeStoppedError('CPE stopped');
      result.httpRequests++;
      const headers: Record<string, string> = {};
      if (body !== '') {
        headers['Content-Type'] = 'text/xml; charset="utf-8"';
        headers.SOAPAction = '';
      }
      if (cookies.size > 0) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      let res;
      try {
        res = await client().request(acsUrl, {
          method: 'POST',
          content: body,
          headers,
          dataType: 'text',
          timeout: httpTimeoutMs,
          retry: 0,
          dispatcher: connection,
          ...(authMode === 'digest' && username ? { digestAuth: `${username}:${password}` } : {}),
          ...(authMode === 'basic' && username ? { auth: `${username}:${password}` } : {}),
        });
      } catch (e) {
        const err = e as Error & { code?: string };
        if (/timeout/i.test(err.name) || err.code === 'UND_ERR_HEADERS_TIMEOUT') throw new SessionTimeoutError(err.message, { cause: e });
        throw new AcsUnreachableError(`cannot reach ${acsUrl}: ${err.message}`, { cause: e });
      }
      const rawCookies = res.headers['set-cookie'];
      if (rawCookies) {
        const h = new Headers();
        for (const c of Array.isArray(rawCookies) ? rawCookies : [rawCookies]) h.append('set-cookie', c);
        for (const c of getSetCookies(h)) cookies.set(c.name, c.value);
      }
      if (res.status === 401) throw new AcsAuthError(`ACS rejected the credentials of ${username || '(none)'}`);
      if (res.status === 503) {
        const ra = Number(res.headers['retry-after']);
        throw new AcsUnavailableError(Number.isFinite(ra) && ra >= 0 ? ra : undefined);
      }
      if (res.status !== 200 && res.status !== 204) throw new AcsHttpError(res.status);
      return { status: res.status, text: res.status === 204 ? '' : String(res.data ?? ''), headers: res.headers };
    };

    const envelope = (body: CwmpMessage, id: string | undefined): string => {
      const env: CwmpEnvelope = { cwmpNamespace: ns, header: id === undefined ? {} : { id }, body };
      return encode(env);
    };

    const parse = (text: string) => {
      try {
        return decode(text);
      } catch (e) {
        if (e instanceof CwmpParseError) throw new CwmpProtocolError(`ACS sent an unparseable body: ${e.message}`, { cause: e });
        throw e;
      }
    };

    const sendTransferComplete = async (t: PendingTransfer) => {
      const res = parse((await post(envelope(t.message, randomBytes(4).toString('hex')))).text);
      if (res.kind === 'fault') {
        result.faults.push(res.envelope.body.name === 'Fault' ? res.envelope.body.detail.faultCode : 0);
        throw new CwmpProtocolError('ACS answered TransferComplete with a fault');
      }
      if (res.kind !== 'response' || res.envelope.body.name !== 'TransferCompleteResponse') {
        throw new CwmpProtocolError(`expected TransferCompleteResponse, got ${res.kind === 'empty' ? 'an empty body' : res.envelope.body.name}`);
      }
      transfers = transfers.filter((x) => x !== t);
      if (transfers.length === 0) pending = pending.filter((e) => !AWAITS_TRANSFER_COMPLETE.has(e.eventCode));
    };

    try {
      const inform: Inform = {
        name: 'Inform',
        deviceId: opts.deviceId,
        event: events,
        maxEnvelopes: 1,
        currentTime: nowIso(),
        retryCount,
        parameterList: model.informParameters(),
      };
      const first = parse((await post(envelope(inform, randomBytes(4).toString('hex')))).text);
      if (first.kind === 'fault' && first.envelope.body.name === 'Fault') {
        result.faults.push(first.envelope.body.detail.faultCode);
        throw new CwmpProtocolError(`ACS answered the Inform with fault ${first.envelope.body.detail.faultCode}`);
      }
      if (first.kind !== 'response' || first.envelope.body.name !== 'InformResponse') {
        throw new CwmpProtocolError(`expected InformResponse, got ${first.kind === 'empty' ? 'an empty body' : first.envelope.body.name}`);
      }
      // The Inform was accepted: its events are delivered, except those awaiting TransferComplete.
      const sent = new Set(events.map((e) => `${e.eventCode}\u0000${e.commandKey}`));
      pending = pending.filter((e) => !sent.has(`${e.eventCode}\u0000${e.commandKey}`) || AWAITS_TRANSFER_COMPLETE.has(e.eventCode));
      if (events.some((e) => e.eventCode === '0 BOOTSTRAP')) bootstrapped = true;
      // Only what this Inform reported: a change made since then rides in the next one.
      model.clearChanges(inform.parameterList.filter((p) => model.getValue(p.name) === p.value).map((p) => p.name));
      let hold = first.envelope.header.holdRequests === true;

      // CPE requests first (HoldRequests forbids them), then the empty POST hands over to the ACS.
      while (!hold && transfers[0]) await sendTransferComplete(transfers[0]);
      let outgoing = '';
      for (let i = 0; i < MAX_MESSAGES_PER_SESSION; i++) {
        const res = parse((await post(outgoing)).text);
        if (res.kind === 'empty') {
          if (!hold && transfers[0]) {
            await sendTransferComplete(transfers[0]);
            outgoing = '';
            continue;
          }
          result.ok = true;
          break;
        }
        hold = res.envelope.header.holdRequests === true;
        if (res.kind !== 'request') {
          throw new CwmpProtocolError(`expected an ACS request or an empty body, got ${res.envelope.body.name}`);
        }
        const req = res.envelope.body as AcsRequest;
        result.rpcs.push(req.name);
        const answer = handleAcsRequest(req);
        if (answer.name === 'Fault') result.faults.push(answer.detail.faultCode);
        outgoing = envelope(answer, res.envelope.header.id);
      }
      if (!result.ok) throw new CwmpProtocolError(`session exceeded ${MAX_MESSAGES_PER_SESSION} messages`);
    } catch (e) {
      result.ok = false;
      result.error = e instanceof SessionError ? e : new CwmpProtocolError(String(e), { cause: e });
    }
    await connection.close();
    result.durationMs = Date.now() - startedAt;
    return result;
  };

  const stoppedResult = (): SessionResult => ({
    ok: false,
    events: [],
    rpcs: [],
    faults: [],
    retryCount,
    startedAt: Date.now(),
    durationMs: 0,
    httpRequests: 0,
    error: new CpeStoppedError('CPE stopped'),
  });

  const cpe: Cpe = {
    deviceId: opts.deviceId,
    get model() {
      return model;
    },
    get connectionRequestUrl() {
      return httpEndpoint?.url ?? '';
    },
    get retryCount() {
      return retryCount;
    },
    get xmpp() {
      return xmppEndpoint;
    },
    get stun() {
      return udpEndpoint;
    },
    async start(startOpts = {}) {
      stopped = false;
      if (opts.connectionRequest !== false && !httpEndpoint) {
        const cr = opts.connectionRequest ?? {};
        httpEndpoint = createHttpConnectionRequestEndpoint({
          ...cr,
          rateLimit: crRateLimit,
          credentials: crCredentials,
          onRequest: () => cpe.requestConnection(),
        });
        endpoints.push(httpEndpoint);
      }
      if (opts.endpoints && endpoints.length <= (httpEndpoint ? 1 : 0)) endpoints.push(...opts.endpoints(cpe));
      for (const ep of endpoints) await ep.start();
      if (typeof opts.model === 'function') {
        unwatch();
        model = createDataModel(opts.model({ connectionRequestUrl: httpEndpoint?.url ?? '' }));
        unwatch = watchModel();
      }
      publishConnectionRequestUrl();
      // Publishing our own URL at boot is not a value change to report separately.
      model.clearChanges();
      pending = pending.filter((e) => e.eventCode !== '4 VALUE CHANGE');
      if (!bootstrapped) addEvent('0 BOOTSTRAP');
      addEvent('1 BOOT');
      schedulePeriodic();
      if (opts.xmpp !== false) {
        // Built after the model, which start() may have just rebuilt: the endpoint watches it for provisioning.
        xmppEndpoint ??= createXmppConnectionRequestEndpoint({
          ...opts.xmpp,
          model: () => model,
          credentials: crCredentials,
          onRequest: () => cpe.requestConnection(),
          rateLimit: crRateLimit,
          secondMs,
        });
        await xmppEndpoint.start();
      }
      if (opts.stun !== false) {
        const shared = { model: () => model, credentials: crCredentials, onRequest: () => cpe.requestConnection(), rateLimit: crRateLimit, secondMs };
        const host = opts.stun?.host ?? (opts.connectionRequest ? opts.connectionRequest.host : undefined);
        udpEndpoint ??= createUdpConnectionRequestEndpoint({ ...opts.stun, ...shared, host, acsUrl: opts.acsUrl });
        await udpEndpoint.start();
      }
      if (startOpts.inform !== false) requestSession();
    },
    inform(extra = []) {
      if (stopped) return Promise.resolve(stoppedResult());
      for (const code of extra) addEvent(code);
      const p = new Promise<SessionResult>((resolve) => nextWaiters.push(resolve));
      requestSession();
      return p;
    },
    requestConnection() {
      addEvent('6 CONNECTION REQUEST');
      requestSession();
    },
    pendingEvents: () => pending.map((e) => ({ ...e })),
    async whenIdle() {
      while (running) await running;
    },
    onSession(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      retryTimer = undefined;
      periodicTimer = undefined;
      await Promise.all([...endpoints, ...(xmppEndpoint ? [xmppEndpoint] : []), ...(udpEndpoint ? [udpEndpoint] : [])].map((ep) => ep.stop()));
      await running;
      if (agent) {
        // Our own keep-alive sockets would otherwise hold the process open.
        const owned = agent;
        agent = undefined;
        http = opts.httpClient;
        await owned.close();
      }
      const waiters = nextWaiters;
      nextWaiters = [];
      for (const w of waiters) w(stoppedResult());
    },
  };
  return cpe;
}
