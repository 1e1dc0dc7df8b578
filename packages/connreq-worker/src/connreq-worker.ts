import { consumeBounded, deadLetter as moveToDeadLetter, type BoundedConsumer, type BoundedDelivery, type Bus, type DurableMessage } from '@acs/bus';
import {
  DURABLE_CONSUMERS,
  decodePayload,
  type ConnreqCommandBase,
  type ConnreqTransport,
  type DeadLetter,
  type Parser,
  type Subjects,
} from '@acs/contracts';
import { childLogger, createMetrics, extractTraceContext, injectTraceContext, type Logger, type Metrics } from '@acs/telemetry';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { systemClock, type Clock } from './clock.js';
import { createDevicePacer } from './device-pacer.js';
import { ConnreqWorkerStateError, Stopping } from './errors.js';
import type { Perform, PerformResult } from './perform.js';
import { tryUntilDone, type RetryPolicy } from './retry.js';
import { createSettle, type Ending } from './settle.js';

export interface ConnreqWorkerOptions<C extends ConnreqCommandBase> {
  /** Which commands this worker takes (`cmd.connreq.<transport>`) and names itself by in events, spans, metrics. */
  readonly transport: ConnreqTransport;
  /** The transport's command parser, e.g. `parseConnreqHttpCommand`; an invalid command is dead-lettered. */
  readonly parse: Parser<C>;
  /** The transport's act: one try. */
  readonly perform: Perform<C>;
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  /** Commands in flight at once in this replica; while all are busy no command is taken. */
  readonly concurrency: number;
  /** Least time between two connection requests to one device (per replica). */
  readonly minIntervalPerDeviceMs: number;
  readonly retry: RetryPolicy;
  /** Longest single try: a command that waited nearly the whole ackWait for a slot still gets this long. */
  readonly tryTimeoutMs: number;
  /**
   * JetStream ackWait of the durable consumer (default 60 s). A command is worked on for at most this long minus a
   * margin, so a live worker is never overtaken by the redelivery meant for a dead one.
   */
  readonly ackWaitMs?: number;
  /** Deliveries of one command before JetStream gives it up (default 5). */
  readonly maxDeliver?: number;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Runs last in stop(), once no try is in flight (e.g. closing the transport's connections). */
  readonly onStop?: () => Promise<void>;
}

export interface ConnreqWorker {
  /** Ensures the streams and starts consuming `cmd.connreq.<transport>`. */
  start(): Promise<void>;
  /** Stops taking commands, lets the requests in flight end and publish, hands back commands still waiting. */
  stop(): Promise<void>;
  /** Commands being worked on right now. */
  readonly inFlight: number;
}

const ACK_MARGIN_MS = 2_000;
// Redelivery pause when the bus refused our publish: long enough for a reconnect.
const PUBLISH_RETRY_MS = 1_000;

const capitalized = (t: ConnreqTransport) => `${t.charAt(0).toUpperCase()}${t.slice(1)}` as Capitalize<ConnreqTransport>;

/**
 * A connection-request worker: consumes `cmd.connreq.<transport>` through the transport's shared durable consumer
 * (every replica shares the work), performs each command and ends it in exactly one `evt.connreq.<id>` event, or
 * hands it to the next transport of its fallback plan. The JetStream command is acked only after that publish
 * succeeded. Everything but the act itself (`perform`) is here, the same for every transport.
 */
export function createConnreqWorker<C extends ConnreqCommandBase>(options: ConnreqWorkerOptions<C>): ConnreqWorker {
  const { transport, bus, subjects, logger } = options;
  const name = `connreq.${transport}`;
  const contract = `Connreq${capitalized(transport)}Command`;
  const clock = options.clock ?? systemClock;
  const ackWaitMs = options.ackWaitMs ?? 60_000;
  const maxDeliver = options.maxDeliver ?? 5;
  const pacer = createDevicePacer(options.minIntervalPerDeviceMs);
  const metrics = options.metrics ?? createMetrics(`acs.connreq-${transport}`);
  const settle = createSettle({
    bus,
    subjects,
    transport,
    clock,
    pokes: metrics.counter('acs.pokes', { description: 'Connection requests by transport and outcome' }),
    latency: metrics.histogram('acs.poke.latency', { unit: 'ms', description: 'Poke latency from issuedAt to the outcome' }),
  });
  const tracer = trace.getTracer(`acs.connreq-${transport}`);
  let consumer: BoundedConsumer | undefined;
  let state: 'new' | 'running' | 'stopped' = 'new';

  /** A wait that stop() cuts short (`stopping`): the command then goes back to the stream. */
  const sleep = async (ms: number, stopping: AbortSignal) => {
    if (stopping.aborted) throw new Stopping();
    try {
      await clock.sleep(ms, stopping);
    } catch (error) {
      if (stopping.aborted) throw new Stopping();
      throw error;
    }
  };

  async function deadLetter(msg: DurableMessage, message: string, issues: DeadLetter['issues']): Promise<void> {
    await moveToDeadLetter(bus, subjects, msg, { message, ...(issues === undefined ? {} : { issues }), receivedAt: new Date(clock.now()) });
    logger.warn({ subject: msg.subject, seq: msg.seq, reason: message }, `invalid ${name} command dead-lettered`);
  }

  /** One try, its signal aborted at the window's end by the worker's clock; stop() lets it finish. */
  async function tryOnce(cmd: C, windowEnd: number, log: Logger): Promise<PerformResult> {
    const signal = new AbortController();
    const done = new AbortController();
    void clock.sleep(Math.max(0, windowEnd - clock.now()), done.signal).then(
      () => signal.abort(new DOMException(`the try's deadline passed`, 'TimeoutError')),
      () => undefined,
    );
    try {
      return await options.perform(cmd, { signal: signal.signal, deadline: windowEnd, log });
    } finally {
      done.abort();
    }
  }

  async function work(msg: DurableMessage, { deliveredAt, stopping }: BoundedDelivery, traceHeaders: Record<string, string>): Promise<void> {
    const receivedAt = clock.now();
    const parsed = decodePayload(msg.data, options.parse, contract);
    if (!parsed.ok) {
      await deadLetter(msg, parsed.error.message, parsed.error.issues.map((i) => ({ ...i, path: [...i.path] })));
      return;
    }
    const cmd = parsed.value;
    const log = childLogger(logger, { deviceId: cmd.deviceId, requestId: cmd.requestId });
    const end = (ending: Ending) => settle(msg, cmd, ending, log, traceHeaders);
    const deadline = Date.parse(cmd.deadline);
    // Never work past the ackWait (it runs from the delivery, also while the command waited for a free slot):
    // JetStream would hand the command to another replica meanwhile. A command that waited nearly that long still
    // gets one full try: a redelivery racing it is harmless (the events stream drops the second event), a command
    // handed back again and again until maxDeliver would be lost.
    const windowEnd = Math.min(deadline, Math.max(deliveredAt + ackWaitMs - ACK_MARGIN_MS, receivedAt + options.tryTimeoutMs));
    if (deadline <= receivedAt) {
      await end({ outcome: 'timeout', detail: 'deadline passed before the command was taken', transportMs: 0 });
      return;
    }
    // Re-checked after every wait: another command for the device may have gone first meanwhile.
    for (let next = pacer.nextAllowed(cmd.deviceId); next > clock.now(); next = pacer.nextAllowed(cmd.deviceId)) {
      if (next >= windowEnd) {
        const detail = 'deadline passes before the per-device minimum interval allows another request';
        await end({ outcome: 'timeout', detail, transportMs: clock.now() - receivedAt });
        return;
      }
      await sleep(next - clock.now(), stopping);
    }
    pacer.mark(cmd.deviceId, clock.now());
    let outcome;
    try {
      outcome = await tryUntilDone(() => tryOnce(cmd, windowEnd, log), {
        retry: options.retry,
        windowEnd,
        now: clock.now,
        sleep: (ms) => sleep(ms, stopping),
        onRetry: (result, waitMs, tries) =>
          log.debug({ outcome: result.outcome, detail: result.detail, waitMs: Math.round(waitMs), tries }, 'connection request will be retried'),
      });
    } finally {
      pacer.mark(cmd.deviceId, clock.now());
    }
    const { result, tries } = outcome;
    const detail = tries > 1 ? `${result.detail ?? result.outcome} (after ${tries} tries)` : result.detail;
    await end({ outcome: result.outcome, detail, transportMs: clock.now() - receivedAt });
  }

  async function run(msg: DurableMessage, delivery: BoundedDelivery): Promise<void> {
    // One span per command, child of the router's (traceparent in the command's headers), so a poke is one trace.
    // Its context is passed explicitly: without a started SDK there is no context manager to carry it across awaits.
    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER }, parent);
    const ctx = trace.setSpan(parent, span);
    try {
      await context.with(ctx, () => work(msg, delivery, injectTraceContext({}, ctx)));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (error instanceof Stopping) {
        // Hand it back at once: another replica takes it without waiting for the ackWait.
        await msg.nak().catch(() => {});
        return;
      }
      logger.error({ err: error, subject: msg.subject, seq: msg.seq }, `${name} command not settled; it will be redelivered`);
      await msg.nak(PUBLISH_RETRY_MS).catch(() => {});
    } finally {
      span.end();
    }
  }

  return {
    async start() {
      if (state !== 'new') throw new ConnreqWorkerStateError(`worker cannot start: it is ${state}`);
      state = 'running';
      await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
      consumer = await consumeBounded(bus, subjects.streams.commands.name, DURABLE_CONSUMERS[`connreq${capitalized(transport)}`], run, {
        filterSubject: subjects.cmd.connreq[transport],
        ackWaitMs,
        maxDeliver,
        concurrency: options.concurrency,
        now: clock.now,
      });
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      // Waiting commands (interval, back-off) go back to the stream once nothing more can reach this replica;
      // requests on the wire are let finish.
      await consumer?.stop();
      await options.onStop?.();
    },
    get inFlight() {
      return consumer?.running ?? 0;
    },
  };
}
