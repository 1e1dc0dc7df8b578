import { consumeBounded, deadLetter as moveToDeadLetter, type BoundedConsumer, type Bus, type BusHeaders, type DurableMessage } from '@acs/bus';
import {
  DURABLE_CONSUMERS,
  decodePayload,
  parsePokeCommand,
  type ConnreqEvent,
  type ConnreqTransport,
  type DeadLetter,
  type Subjects,
} from '@acs/contracts';
import { childLogger, createMetrics, type Logger, type Metrics } from '@acs/telemetry';
import type { DeviceRecords, DeviceTypeStore, ParameterTree } from '../store/device-store.js';
import type { EpochMs } from '../store/types.js';
import { planConnectionRequest, type SecretOpener } from './route-plan.js';

/** The store as the router uses it: the device, its type and one parameter to plan, and where the poke is remembered. */
export type RoutingStore = Pick<DeviceRecords, 'getDevice' | 'recordPoke'> & Pick<DeviceTypeStore, 'getDeviceType'> & Pick<ParameterTree, 'getParameters'>;

export interface PokeRouterOptions {
  readonly store: RoutingStore;
  readonly bus: Bus;
  readonly subjects: Subjects;
  /** Opens the sealed connection-request passwords (the registry's SecretBox). */
  readonly secretBox: SecretOpener;
  readonly logger: Logger;
  /** Epoch ms; injected so tests control deadlines and lastPoke times. */
  readonly clock?: () => EpochMs;
  /** JetStream ackWait of the `registry-poke` consumer (default 30 s): routing takes a few store reads. */
  readonly ackWaitMs?: number;
  /** Deliveries of one poke before JetStream gives it up (default 5). */
  readonly maxDeliver?: number;
  /** Pause before a poke whose routing failed (store or bus outage) is delivered again (default 1 s). */
  readonly retryDelayMs?: number;
  /** Pokes routed at once by this replica (default 8); while all are busy no poke is taken. */
  readonly concurrency?: number;
  readonly metrics?: Metrics;
  /**
   * Transports whose workers run in this deployment (`REGISTRY_CONNREQ_TRANSPORTS`); others are never planned:
   * their commands would wait for a consumer forever.
   */
  readonly transports: readonly ConnreqTransport[];
}

export interface PokeRouter {
  /** Ensures the streams and starts consuming `cmd.poke` through the durable consumer `registry-poke`. */
  start(): Promise<void>;
  /** Stops taking pokes and resolves once those being routed are settled. */
  stop(): Promise<void>;
}

/** A bug: the router was used against its contract (started twice, after stop). */
export class PokeRouterStateError extends Error {
  override readonly name = 'PokeRouterStateError';
  readonly code = 'POKE_ROUTER_STATE' as const;
}

const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

function traceHeaders(headers: BusHeaders): BusHeaders | undefined {
  const out: Record<string, string> = {};
  for (const name of TRACE_HEADERS) if (headers[name] !== undefined) out[name] = headers[name];
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The registry's poke router: each `acs.cmd.poke` becomes exactly one transport command on
 * `acs.cmd.connreq.<transport>` (msgId `${requestId}:0`, later transports as its `fallback`) or, when nothing can
 * reach the device, the final `acs.evt.connreq.<id>` event with outcome `no_route` (msgId `${requestId}:final`).
 * The poke is acked only after that publish succeeded; the requestId-derived msgIds make redeliveries and
 * duplicate pokes no-ops within the streams' duplicate windows.
 */
export function createPokeRouter(options: PokeRouterOptions): PokeRouter {
  const { store, bus, subjects, secretBox, logger } = options;
  const clock = options.clock ?? Date.now;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const maxDeliver = options.maxDeliver ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const metrics = options.metrics ?? createMetrics('acs.device-registry');
  const routed = metrics.counter('acs.pokes.routed', { description: 'Pokes routed, by first transport (none: no_route)' });
  const concurrency = options.concurrency ?? 8;
  const transports = options.transports;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  let consumer: BoundedConsumer | undefined;
  let state: 'new' | 'running' | 'stopped' = 'new';

  async function deadLetter(msg: DurableMessage, message: string, issues: DeadLetter['issues']): Promise<void> {
    await moveToDeadLetter(bus, subjects, msg, { message, ...(issues === undefined ? {} : { issues }), receivedAt: new Date(clock()) });
    logger.warn({ subject: msg.subject, seq: msg.seq, reason: message }, 'invalid poke dead-lettered');
  }

  async function noRoute(msg: DurableMessage, deviceId: string, requestId: string, detail: string, receivedAt: EpochMs, log: Logger): Promise<void> {
    const event: ConnreqEvent = { requestId, deviceId, transport: 'none', outcome: 'no_route', detail, latencyMs: Math.max(0, clock() - receivedAt) };
    const headers = traceHeaders(msg.headers);
    const published = await bus.publishDurable(subjects.evt.connreq(deviceId), event, { msgId: `${requestId}:final`, ...(headers ? { headers } : {}) });
    if (!published.duplicate) routed.add(1, { transport: 'none' });
    log.warn({ detail, duplicate: published.duplicate }, 'poke has no route');
    await msg.ack();
  }

  async function route(msg: DurableMessage): Promise<void> {
    const receivedAt = clock();
    const parsed = decodePayload(msg.data, parsePokeCommand, 'PokeCommand');
    if (!parsed.ok) {
      await deadLetter(
        msg,
        parsed.error.message,
        parsed.error.issues.map((i) => ({ ...i, path: [...i.path] })),
      );
      return;
    }
    const { deviceId, requestId } = parsed.value;
    const log = childLogger(logger, { deviceId, requestId });
    const device = await store.getDevice(deviceId);
    if (!device) return noRoute(msg, deviceId, requestId, 'unknown device', receivedAt, log);
    const type = device.deviceTypeId === null ? null : await store.getDeviceType(device.deviceTypeId);
    const vpnParam = type?.connectionRequestPolicy.vpn?.hostFromParameter;
    const params = vpnParam ? { [vpnParam]: (await store.getParameters(deviceId, vpnParam)).find((p) => p.path === vpnParam)?.value } : {};
    const plan = planConnectionRequest({ requestId, device, type, secrets: secretBox, now: receivedAt, params, available: transports });
    if ('noRoute' in plan) return noRoute(msg, deviceId, requestId, plan.noRoute, receivedAt, log);

    // Before the command goes out, so the Inform the CPE answers with finds it.
    await store.recordPoke(deviceId, { requestId, at: receivedAt });
    const [first, ...rest] = plan.commands;
    const command = { ...first.command, fallback: rest.map((c) => ({ transport: c.transport, command: c.command })), attempts: [] };
    const headers = traceHeaders(msg.headers);
    const published = await bus.publishDurable(subjects.cmd.connreq[first.transport], command, { msgId: `${requestId}:0`, ...(headers ? { headers } : {}) });
    if (!published.duplicate) routed.add(1, { transport: first.transport });
    log.info(
      { transport: first.transport, fallback: rest.map((c) => c.transport), skipped: plan.skipped, duplicate: published.duplicate },
      published.duplicate ? 'poke already routed' : 'poke routed',
    );
    await msg.ack();
  }

  /** The last delivery failed too: the caller still gets its one final event rather than silence. */
  async function giveUp(msg: DurableMessage, err: unknown): Promise<void> {
    const parsed = decodePayload(msg.data, parsePokeCommand, 'PokeCommand');
    if (!parsed.ok) return;
    const { deviceId, requestId } = parsed.value;
    const detail = `routing failed after ${msg.deliveryCount} deliveries: ${err instanceof Error ? err.message : String(err)}`.slice(0, 2048);
    await noRoute(msg, deviceId, requestId, detail, clock(), childLogger(logger, { deviceId, requestId }));
  }

  const settle = async (msg: DurableMessage): Promise<void> => {
    try {
      await route(msg);
    } catch (err) {
      if (msg.deliveryCount >= maxDeliver) {
        logger.error({ err, subject: msg.subject, seq: msg.seq, deliveryCount: msg.deliveryCount }, 'poke not routed; giving up');
        await giveUp(msg, err).catch((publishErr: unknown) => logger.error({ err: publishErr }, 'no final event for a poke that could not be routed'));
        return;
      }
      // Store or bus trouble: not acked, so the poke is routed again later (the msgIds keep that idempotent).
      logger.error({ err, subject: msg.subject, seq: msg.seq, deliveryCount: msg.deliveryCount }, 'poke not routed; it will be delivered again');
      await msg.nak(retryDelayMs).catch(() => undefined);
    }
  };

  return {
    async start() {
      if (state !== 'new') throw new PokeRouterStateError(`poke router cannot start: it is ${state}`);
      state = 'running';
      await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
      // Routing is a few store round trips: several at once, and a bound so a burst of pokes is not all pulled at once.
      consumer = await consumeBounded(bus, subjects.streams.commands.name, DURABLE_CONSUMERS.poke, settle, {
        filterSubject: subjects.cmd.poke,
        ackWaitMs,
        maxDeliver,
        concurrency,
      });
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      await consumer?.stop();
    },
  };
}
