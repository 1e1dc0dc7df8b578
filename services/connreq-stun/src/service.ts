import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Semaphore, type Bus, type ServiceHandle } from '@acs/bus';
import { createConnreqWorker, type ConnreqWorker } from '@acs/connreq-worker';
import { QUEUE_GROUPS, parseConnreqUdpCommand, parseStunCredentialsRequest, decodePayload, type StunBindingEvent, type Subjects } from '@acs/contracts';
import type { SessionStore } from '@acs/kv';
import type { Logger, Metrics } from '@acs/telemetry';
import { createBindingStore, type Binding, type BindingChange } from './binding-store.js';
import { stunPasswordFor, stunUsernameFor } from './credentials.js';
import { createDeviceLookup } from './device-lookup.js';
import { createRelay } from './relay.js';
import { createSessionWaiter } from './session-waiter.js';
import { exportStunCounters } from './stun-metrics.js';
import { createStunServer, type StunServer } from './stun-server.js';
import { createUdpConnectionRequest } from './udp-connection-request.js';

/** Name (`nats micro ls`) and version of connreq-stun's endpoints. */
export const CONNREQ_STUN_SERVICE = { name: 'acs-connreq-stun', version: '0.1.0' } as const;

export interface ConnreqStunDeps {
  readonly bus: Bus;
  readonly subjects: Subjects;
  /** Where bindings live, shared by the replicas (Redis); keys are device ids. */
  readonly bindings: SessionStore<Binding>;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export interface ConnreqStunSettings {
  readonly listen: { readonly host: string; readonly port: number };
  readonly secret: string;
  /** ManagementServer.STUNServerAddress/Port given to CPEs. */
  readonly publicServer: { readonly address: string; readonly port: number };
  readonly replica: string;
  readonly lookup: { readonly ttlMs: number; readonly negativeTtlMs: number; readonly timeoutMs?: number };
  readonly cacheEntries: number;
  readonly udp: { readonly copies: number; readonly intervalMs: number; readonly sessionWaitMs: number; readonly addressMaxAgeMs: number };
  readonly worker: {
    readonly concurrency: number;
    readonly minIntervalPerDeviceMs: number;
    readonly retry: { readonly baseMs: number; readonly maxMs: number };
    readonly ackWaitMs?: number;
    readonly maxDeliver?: number;
  };
}

export interface ConnreqStunReadiness {
  readonly ready: boolean;
  readonly stun: 'listening' | 'closed';
  readonly consumer: 'running' | 'stopped';
}

export interface ConnreqStunService {
  /** Binds the STUN socket, serves the endpoints and consumes `cmd.connreq.udp`. */
  start(): Promise<void>;
  /** Stops the endpoints and the consumer, lets the requests already sent see their session, then closes the socket. */
  stop(): Promise<void>;
  ready(): ConnreqStunReadiness;
  /** The bound STUN socket's address (port 0 in tests picks one). */
  address(): { address: string; port: number };
  readonly server: StunServer;
}

function bindingEvent(deviceId: string, change: BindingChange): StunBindingEvent {
  const { binding } = change;
  return {
    deviceId,
    host: binding.host,
    port: binding.port,
    observedAt: new Date(binding.lastSeenAt).toISOString(),
    reason: change.reason,
    ...(change.previous === undefined ? {} : { previous: change.previous }),
    replica: binding.replica,
  };
}

/**
 * connreq-stun: one UDP socket per replica is both the TR-111 STUN server and the sender of Annex G connection
 * requests (restricted NATs admit only datagrams from where the keep-alives went), plus the connreq worker core
 * consuming `cmd.connreq.udp`, the credentials endpoint the registry provisions CPEs with, and the relay endpoint
 * other replicas send through.
 */
export function createConnreqStunService(deps: ConnreqStunDeps, settings: ConnreqStunSettings): ConnreqStunService {
  const { bus, subjects, logger } = deps;
  // A large receive buffer absorbs keep-alive bursts (the kernel caps it at net.core.rmem_max).
  const socket: Socket = createSocket({ type: isIPv6(settings.listen.host) ? 'udp6' : 'udp4', reuseAddr: false, recvBufferSize: 8 * 2 ** 20, sendBufferSize: 2 * 2 ** 20 });
  const bindings = createBindingStore({ store: deps.bindings, replica: settings.replica, maxEntries: settings.cacheEntries });
  // Announcements wait for a slot: a burst of new bindings (a restart, a NAT box rebooting) must not queue a
  // thousand JetStream publishes ahead of the registry lookups on the same connection. None is dropped.
  const announcing = new Semaphore(64);
  const lookup = createDeviceLookup({ bus, subjects, ...settings.lookup, timeoutMs: settings.lookup.timeoutMs ?? 2_000, maxEntries: settings.cacheEntries });
  const server = createStunServer({
    socket,
    lookup,
    bindings,
    secret: settings.secret,
    logger,
    cacheEntries: settings.cacheEntries,
    onChange(deviceId, change) {
      const event = bindingEvent(deviceId, change);
      logger.info({ deviceId, host: event.host, port: event.port, reason: event.reason }, 'STUN binding');
      const msgId = `stun:${deviceId}:${event.host}:${event.port}:${change.binding.firstSeenAt}`;
      void announcing
        .acquire()
        .then(() => bus.publishDurable(subjects.evt.stunBinding(deviceId), event, { msgId }))
        .catch((err: unknown) => logger.warn({ err, deviceId }, 'STUN binding event not published'))
        .finally(() => announcing.release());
    },
  });
  const relay = createRelay({ socket, bus, subjects, replica: settings.replica, timeoutMs: 1_000 });
  const waiter = createSessionWaiter(bus, subjects);
  const sendSpanMs = settings.udp.copies * settings.udp.intervalMs;
  const worker: ConnreqWorker = createConnreqWorker({
    transport: 'udp',
    parse: parseConnreqUdpCommand,
    perform: createUdpConnectionRequest({ bindings, relay, waiter, ...settings.udp }),
    bus,
    subjects,
    logger,
    ...settings.worker,
    tryTimeoutMs: settings.udp.sessionWaitMs + sendSpanMs + 1_000,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
  });
  const exported = exportStunCounters(server.counters, deps.metrics === undefined ? {} : { metrics: deps.metrics });
  let endpoints: ServiceHandle | undefined;
  let listening = false;
  let consuming = false;
  let state: 'new' | 'started' | 'stopped' = 'new';

  socket.on('message', (message, from) => server.handle(message, from));
  // A send to a vanished address (ICMP unreachable) surfaces here; it is one CPE's problem, never the process's.
  socket.on('error', (err) => logger.warn({ err }, 'STUN socket error'));

  return {
    server,
    address: () => socket.address(),
    async start() {
      if (state !== 'new') return;
      state = 'started';
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(settings.listen.port, settings.listen.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      listening = true;
      await waiter.start();
      endpoints = await bus.serveService({ ...CONNREQ_STUN_SERVICE, description: 'TR-111 STUN: device credentials and the relay through the replica holding a binding', queue: QUEUE_GROUPS.connreqUdp }, [
        {
          name: 'credentials-issue',
          subject: subjects.stun.credentialsIssue,
          handler(msg) {
            const request = decodePayload(msg.data, parseStunCredentialsRequest);
            if (!request.ok) return { ok: false, error: { code: 'INVALID_PAYLOAD', message: request.error.message } };
            const username = stunUsernameFor(request.value.deviceId);
            if (username === null) return { ok: false, error: { code: 'INVALID_PAYLOAD', message: 'device id longer than a STUNUsername (256)' } };
            // Port 0 (tests, an all-in-one on any free port): the one actually bound.
            const port = settings.publicServer.port === 0 ? socket.address().port : settings.publicServer.port;
            return { username, password: stunPasswordFor(settings.secret, username), server: { address: settings.publicServer.address, port } };
          },
        },
        relay.endpoint,
      ]);
      await worker.start();
      consuming = true;
    },
    async stop() {
      if (state === 'stopped') return;
      const wasStarted = state === 'started';
      state = 'stopped';
      consuming = false;
      await endpoints?.stop();
      // Requests already sent keep waiting for their session (at most CONNREQ_UDP_SESSION_WAIT_MS): a rolling
      // restart must not report `timeout` for a CPE that is opening its session. Then the waiter, then the socket.
      if (wasStarted) await worker.stop();
      await waiter.stop();
      if (listening) await new Promise<void>((resolve) => socket.close(() => resolve()));
      listening = false;
      exported.stop();
    },
    ready() {
      return { ready: listening && consuming, stun: listening ? 'listening' : 'closed', consumer: consuming ? 'running' : 'stopped' };
    },
  };
}
