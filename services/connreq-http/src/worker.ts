import { setTimeout as delay } from 'node:timers/promises';
import { deadLetter as moveToDeadLetter, type Bus, type Consumer, type DurableMessage } from '@acs/bus';
import {
  DURABLE_CONSUMERS,
  decodePayload,
  parseConnreqHttpCommand,
  type ConnreqAttempt,
  type ConnreqEvent,
  type ConnreqHttpCommand,
  type DeadLetter,
  type Subjects,
} from '@acs/contracts';
import { childLogger, createMetrics, extractTraceContext, injectTraceContext, type Logger, type Metrics } from '@acs/telemetry';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { createDevicePacer } from './device-pacer.js';
import {
  createEgressDispatchers,
  performHttpConnectionRequest,
  type Egress,
  type HttpConnectionRequestResult,
  type HttpConnreqOutcome,
} from './http-connection-request.js';
import { Semaphore } from './semaphore.js';

/** Time as the worker sees it; tests may slow or record it. `sleep` rejects when `signal` aborts. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal });
  },
};

export interface ConnreqHttpWorkerOptions {
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  /** Connection requests in flight at once in this replica; while all are busy no command is taken. */
  readonly concurrency: number;
  /** Least time between two connection requests to one device (per replica). */
  readonly minIntervalPerDeviceMs: number;
  /** Back-off between tries of one command: `baseMs`, doubling, at most `maxMs`, with jitter. */
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly http: {
    readonly connectTimeoutMs: number;
    /** Longest single GET; the command's deadline cuts it shorter. */
    readonly timeoutMs: number;
    /** Egress for commands that name none (`CONNREQ_HTTP_LOCAL_ADDRESS`, `CONNREQ_HTTP_PROXY_URL`). */
    readonly defaultEgress?: Egress;
  };
  /**
   * JetStream ackWait of the durable consumer (default 60 s). A command is worked on for at most this long minus a
   * margin, so a live worker is never overtaken by the redelivery meant for a dead one.
   */
  readonly ackWaitMs?: number;
  /** Deliveries of one command before JetStream gives it up (default 5). */
  readonly maxDeliver?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

export interface ConnreqHttpWorker {
  /** Ensures the streams and starts consuming `cmd.connreq.http`. */
  start(): Promise<void>;
  /** Stops taking commands, lets the requests in flight end and publish, hands back commands still waiting. */
  stop(): Promise<void>;
  /** Commands being worked on right now. */
  readonly inFlight: number;
}

const ACK_MARGIN_MS = 2_000;
const MAX_DETAIL = 2048;
// Redelivery pause when the bus refused our publish: long enough for a reconnect.
const PUBLISH_RETRY_MS = 1_000;

/** A bug: the worker was used against its contract (started twice, ...). */
export class ConnreqWorkerStateError extends Error {
  override readonly name = 'ConnreqWorkerStateError';
  readonly code = 'CONNREQ_WORKER_STATE' as const;
}

class Stopping extends Error {
  override readonly name = 'Stopping';
}

function clip(detail: string | undefined): string | undefined {
  return detail === undefined ? undefined : detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
}

/**
 * The HTTP connection-request worker: consumes `cmd.connreq.http` through the shared durable consumer (every
 * replica shares the work), performs each command and ends it in exactly one `evt.connreq.<id>` event, or hands it
 * to the next transport of its fallback plan. The JetStream command is acked only after that publish succeeded.
 */
export function createConnreqHttpWorker(options: ConnreqHttpWorkerOptions): ConnreqHttpWorker {
  const { bus, subjects, logger } = options;
  const clock = options.clock ?? systemClock;
  const ackWaitMs = options.ackWaitMs ?? 60_000;
  const maxDeliver = options.maxDeliver ?? 5;
  const slots = new Semaphore(options.concurrency);
  const pacer = createDevicePacer(options.minIntervalPerDeviceMs);
  const dispatchers = createEgressDispatchers({ connectTimeoutMs: options.http.connectTimeoutMs });
  const metrics = options.metrics ?? createMetrics('acs.connreq-http');
  const pokes = metrics.counter('acs.pokes', { description: 'Connection requests by transport and outcome' });
  const latency = metrics.histogram('acs.poke.latency', { unit: 'ms', description: 'Poke latency from issuedAt to the outcome' });
  const tracer = trace.getTracer('acs.connreq-http');
  const stopController = new AbortController();
  const running = new Set<Promise<void>>();
  let consumer: Consumer | undefined;
  let state: 'new' | 'running' | 'stopped' = 'new';

  const sleep = async (ms: number) => {
    if (stopController.signal.aborted) throw new Stopping();
    try {
      await clock.sleep(ms, stopController.signal);
    } catch (error) {
      if (stopController.signal.aborted) throw new Stopping();
      throw error;
    }
  };

  async function deadLetter(msg: DurableMessage, message: string, issues: DeadLetter['issues']): Promise<void> {
    await moveToDeadLetter(bus, subjects, msg, { message, ...(issues === undefined ? {} : { issues }), receivedAt: new Date(clock.now()) });
    logger.warn({ subject: msg.subject, seq: msg.seq, reason: message }, 'invalid connreq.http command dead-lettered');
  }

  /** Tries the command until it succeeds, fails for good, or its time is up. */
  async function attempt(cmd: ConnreqHttpCommand, windowEnd: number, log: Logger): Promise<{ result: HttpConnectionRequestResult; tries: number }> {
    const effective = { ...cmd, deadline: new Date(windowEnd).toISOString() };
    let tries = 0;
    for (;;) {
      tries += 1;
      const result = await performHttpConnectionRequest(effective, {
        connectTimeoutMs: options.http.connectTimeoutMs,
        timeoutMs: options.http.timeoutMs,
        dispatchers,
        ...(options.http.defaultEgress === undefined ? {} : { defaultEgress: options.http.defaultEgress }),
        now: clock.now,
      });
      if (!result.retryable) return { result, tries };
      const backoffCap = Math.min(options.retry.maxMs, options.retry.baseMs * 2 ** (tries - 1));
      // Equal jitter: replicas retrying the same outage do not fire in step.
      const backoff = backoffCap / 2 + Math.random() * (backoffCap / 2);
      const wait = Math.max(backoff, result.retryAfterMs ?? 0);
      if (clock.now() + wait >= windowEnd) return { result, tries };
      log.debug({ outcome: result.outcome, detail: result.detail, waitMs: Math.round(wait), tries }, 'connection request will be retried');
      await sleep(wait);
    }
  }

  async function settle(
    msg: DurableMessage,
    cmd: ConnreqHttpCommand,
    outcome: HttpConnreqOutcome,
    detail: string | undefined,
    transportMs: number,
    log: Logger,
    traceHeaders: Record<string, string>,
  ): Promise<void> {
    const latencyMs = Math.max(0, cmd.issuedAt === undefined ? transportMs : clock.now() - Date.parse(cmd.issuedAt));
    const next = cmd.fallback[0];
    const deadlinePassed = Date.parse(cmd.deadline) <= clock.now();
    if (outcome !== 'accepted' && next !== undefined && !deadlinePassed) {
      const attempt: ConnreqAttempt = { transport: 'http', outcome, ...(detail === undefined ? {} : { detail: clip(detail) }), latencyMs: transportMs };
      const attempts = [...cmd.attempts, attempt];
      const nextCommand = {
        requestId: cmd.requestId,
        deviceId: cmd.deviceId,
        deadline: cmd.deadline,
        ...(cmd.issuedAt === undefined ? {} : { issuedAt: cmd.issuedAt }),
        ...next.command,
        fallback: cmd.fallback.slice(1),
        attempts,
      };
      // The hop's msgId is derived from the requestId, so a redelivered command cannot fork the poke.
      const published = await bus.publishDurable(subjects.cmd.connreq[next.transport], nextCommand, {
        msgId: `${cmd.requestId}:${attempts.length}`,
        headers: traceHeaders,
      });
      pokes.add(1, { transport: 'http', outcome, final: false });
      log.info({ outcome, detail, next: next.transport, duplicate: published.duplicate }, 'connection request failed; falling back');
    } else {
      const event: ConnreqEvent = {
        requestId: cmd.requestId,
        deviceId: cmd.deviceId,
        transport: 'http',
        outcome,
        ...(detail === undefined ? {} : { detail: clip(detail) }),
        latencyMs,
        ...(cmd.attempts.length === 0 ? {} : { attempts: cmd.attempts }),
      };
      // Durable with a requestId-derived msgId: a command redelivered after a crash cannot produce a second event.
      const published = await bus.publishDurable(subjects.evt.connreq(cmd.deviceId), event, {
        msgId: `${cmd.requestId}:final`,
        headers: traceHeaders,
      });
      if (published.duplicate) {
        log.info({ outcome }, 'final connreq event already published by an earlier delivery');
      } else {
        pokes.add(1, { transport: 'http', outcome, final: true });
        latency.record(latencyMs, { transport: 'http', outcome });
        if (outcome === 'accepted') log.debug({ latencyMs }, 'connection request accepted');
        else log.warn({ outcome, detail, latencyMs }, 'connection request failed');
      }
    }
    await msg.ack();
  }

  async function work(msg: DurableMessage, deliveredAt: number, traceHeaders: Record<string, string>): Promise<void> {
    const receivedAt = clock.now();
    const parsed = decodePayload(msg.data, parseConnreqHttpCommand, 'ConnreqHttpCommand');
    if (!parsed.ok) {
      await deadLetter(msg, parsed.error.message, parsed.error.issues.map((i) => ({ ...i, path: [...i.path] })));
      return;
    }
    const cmd = parsed.value;
    const log = childLogger(logger, { deviceId: cmd.deviceId, requestId: cmd.requestId });
    const deadline = Date.parse(cmd.deadline);
    // Never work past the ackWait (it runs from the delivery, also while the command waited for a free slot):
    // JetStream would hand the command to another replica meanwhile. A command that waited nearly that long still
    // gets one full GET: a redelivery racing it is harmless (the events stream drops the second event), a command
    // handed back again and again until maxDeliver would be lost.
    const windowEnd = Math.min(deadline, Math.max(deliveredAt + ackWaitMs - ACK_MARGIN_MS, receivedAt + options.http.timeoutMs));
    if (deadline <= receivedAt) {
      await settle(msg, cmd, 'timeout', 'deadline passed before the command was taken', 0, log, traceHeaders);
      return;
    }
    // Re-checked after every wait: another command for the device may have gone first meanwhile.
    for (let next = pacer.nextAllowed(cmd.deviceId); next > clock.now(); next = pacer.nextAllowed(cmd.deviceId)) {
      if (next >= windowEnd) {
        await settle(msg, cmd, 'timeout', 'deadline passes before the per-device minimum interval allows another request', clock.now() - receivedAt, log, traceHeaders);
        return;
      }
      await sleep(next - clock.now());
    }
    pacer.mark(cmd.deviceId, clock.now());
    let outcome;
    try {
      outcome = await attempt(cmd, windowEnd, log);
    } finally {
      pacer.mark(cmd.deviceId, clock.now());
    }
    const { result, tries } = outcome;
    const detail = tries > 1 ? `${result.detail ?? result.outcome} (after ${tries} tries)` : result.detail;
    await settle(msg, cmd, result.outcome, detail, clock.now() - receivedAt, log, traceHeaders);
  }

  async function run(msg: DurableMessage, deliveredAt: number): Promise<void> {
    // One span per command, child of the router's (traceparent in the command's headers), so a poke is one trace.
    // Its context is passed explicitly: without a started SDK there is no context manager to carry it across awaits.
    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan('connreq.http', { kind: SpanKind.CONSUMER }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      await context.with(ctx, () => work(msg, deliveredAt, injectTraceContext({}, ctx)));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (error instanceof Stopping) {
        // Hand it back at once: another replica takes it without waiting for the ackWait.
        await msg.nak().catch(() => {});
        return;
      }
      logger.error({ err: error, subject: msg.subject, seq: msg.seq }, 'connreq.http command not settled; it will be redelivered');
      await msg.nak(PUBLISH_RETRY_MS).catch(() => {});
    } finally {
      span.end();
    }
  }

  const handler = async (msg: DurableMessage): Promise<void> => {
    const deliveredAt = clock.now();
    // Holding the handler while all slots are busy keeps the consumer from pulling more commands.
    await slots.acquire();
    if (state !== 'running') {
      slots.release();
      await msg.nak().catch(() => {});
      return;
    }
    const task = run(msg, deliveredAt).finally(() => {
      slots.release();
      running.delete(task);
    });
    running.add(task);
  };

  return {
    async start() {
      if (state !== 'new') throw new ConnreqWorkerStateError(`worker cannot start: it is ${state}`);
      state = 'running';
      await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
      consumer = await bus.consume(subjects.streams.commands.name, DURABLE_CONSUMERS.connreqHttp, handler, {
        filterSubject: subjects.cmd.connreq.http,
        ackWaitMs,
        maxDeliver,
      });
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      // Waiting commands (interval, back-off) go back to the stream; requests on the wire are let finish.
      stopController.abort();
      await consumer?.stop();
      while (running.size > 0) await Promise.allSettled([...running]);
      await dispatchers.close();
    },
    get inFlight() {
      return running.size;
    },
  };
}
