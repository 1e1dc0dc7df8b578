import type { StreamDefinition } from '@acs/contracts';
import { Svcm } from '@nats-io/services';
import { connect } from '@nats-io/transport-node';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  headers as createHeaders,
  InvalidSubjectError as NatsInvalidSubjectError,
  nanos,
  NoRespondersError as NatsNoRespondersError,
  TimeoutError as NatsTimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Status,
} from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import type {
  Bus,
  BusErrorReporter,
  BusHeaders,
  BusMessage,
  BusPayload,
  Consumer,
  ConsumeOptions,
  DurableHandler,
  DurableMessage,
  MessageHandler,
  PublishDurableOptions,
  PublishDurableResult,
  PublishOptions,
  RequestOptions,
  ServeHandler,
  ServiceDescription,
  ServiceEndpoint,
  ServiceHandle,
  SubscribeOptions,
  Subscription,
} from './bus.js';
import {
  BusClosedError,
  BusConfigError,
  BusTimeoutError,
  BusUnavailableError,
  InvalidSubjectError,
  NoRespondersError,
  StreamNotFoundError,
} from './errors.js';
import { internalErrorReply, replyParts, toBytes } from './payload.js';
import { checkConsumeOptions, isValidPattern, isValidSubject } from './subject-match.js';

export interface NatsBusOptions {
  /** `nats://host:port`, one or several. */
  readonly servers: string | readonly string[];
  /** Connection name shown by the server (`nats server report connections`). */
  readonly name?: string;
  /** Base wait between reconnect attempts; jitter is added. Reconnects never stop. */
  readonly reconnectTimeWaitMs?: number;
  /** How long a durable publish may take in all, retries included (default 10 s). */
  readonly publishTimeoutMs?: number;
  /**
   * How long one attempt waits for the stream's acknowledgement before it is sent again (default 2 s). A publish
   * caught in a reconnect can vanish; resending is safe because the stream de-duplicates by msgId.
   */
  readonly publishAttemptTimeoutMs?: number;
  /**
   * Messages each consumer pulls ahead of its handler. 1 spreads work evenly between replicas; more raises
   * throughput, but a buffered message's ackWait runs while it waits.
   */
  readonly consumerPrefetch?: number;
  /** How long a pull waits on the server; also bounds how fast a consumer notices a restarted server. */
  readonly pullExpiresMs?: number;
  readonly onError?: BusErrorReporter;
  /** Connection status changes (disconnect, reconnect, ...), for logs and readiness. */
  readonly onStatus?: (status: Status) => void;
}

const JS_STREAM_NOT_FOUND = 10059;
const JS_CONSUMER_NOT_FOUND = 10014;
const JS_CONSUMER_EXISTS = 10148;
const JS_CONSUMER_EXISTS_OTHER = 10105;

function toNatsHeaders(h: BusHeaders | undefined): MsgHdrs | undefined {
  if (!h || Object.keys(h).length === 0) return undefined;
  const out = createHeaders();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

function fromNatsHeaders(h: MsgHdrs | undefined): BusHeaders {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  let e: unknown = error;
  while (e instanceof Error && chain.length < 5) {
    chain.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return chain;
}

function isCause(error: unknown, type: abstract new (...args: never[]) => Error): boolean {
  return causes(error).some((e) => e instanceof type);
}

function apiCode(error: unknown): number | undefined {
  const api = causes(error).find((e): e is JetStreamApiError => e instanceof JetStreamApiError);
  return api?.code;
}

interface ConsumerEntry {
  readonly stream: string;
  readonly durable: string;
  readonly messages: ConsumerMessages;
  readonly loop: Promise<void>;
}

/** Connects to NATS (retrying forever, also for the first connect) and returns a `Bus` over it. */
export async function createNatsBus(options: NatsBusOptions): Promise<NatsBus> {
  const nc = await connect({
    servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
    ...(options.name === undefined ? {} : { name: options.name }),
    // A NATS restart must never take the process down: reconnect forever, buffering publishes meanwhile.
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 1_000,
    reconnectJitter: Math.ceil((options.reconnectTimeWaitMs ?? 1_000) / 4),
    waitOnFirstConnect: true,
  });
  const jsm = await jetstreamManager(nc);
  return new NatsBus(nc, jsm, jetstream(nc), options);
}

export class NatsBus implements Bus {
  private readonly consumers = new Set<ConsumerEntry>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly report: BusErrorReporter;
  private closing = false;

  constructor(
    readonly connection: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly options: NatsBusOptions,
  ) {
    this.report = options.onError ?? (() => {});
    const onStatus = options.onStatus;
    if (onStatus) {
      void (async () => {
        for await (const s of connection.status()) onStatus(s);
      })();
    }
  }

  private check(subject: string, pattern = false): void {
    if (this.closing || this.connection.isClosed()) throw new BusClosedError();
    if (!(pattern ? isValidPattern(subject) : isValidSubject(subject))) throw new InvalidSubjectError(subject);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => {});
    return p;
  }

  private translate(error: unknown, subject: string, timeoutMs = 0): Error {
    if (isCause(error, NatsNoRespondersError)) return new NoRespondersError(subject, { cause: error });
    if (isCause(error, NatsTimeoutError)) return new BusTimeoutError(subject, timeoutMs, { cause: error });
    if (isCause(error, ClosedConnectionError) || isCause(error, DrainingConnectionError)) return new BusClosedError({ cause: error });
    if (isCause(error, NatsInvalidSubjectError)) return new InvalidSubjectError(subject, { cause: error });
    return new BusUnavailableError(`NATS operation on ${subject} failed`, { cause: error });
  }

  publish(subject: string, payload: BusPayload, opts: PublishOptions = {}): void {
    this.check(subject);
    const headers = toNatsHeaders(opts.headers);
    this.connection.publish(subject, toBytes(payload), headers ? { headers } : undefined);
  }

  private natsSubscribe(subject: string, queue: string | undefined, onMessage: (m: Msg) => Promise<void>, operation: string): Subscription {
    this.check(subject, true);
    const sub = this.connection.subscribe(subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (err, m) => {
        if (err) {
          this.report(err, { subject, operation });
          return;
        }
        this.track(onMessage(m)).catch((error: unknown) => this.report(error, { subject: m.subject, operation }));
      },
    });
    return {
      subject,
      unsubscribe: async () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  subscribe(subject: string, handler: MessageHandler, opts: SubscribeOptions = {}): Subscription {
    return this.natsSubscribe(
      subject,
      opts.queue,
      async (m) => {
        await handler({ subject: m.subject, data: m.data, headers: fromNatsHeaders(m.headers) });
      },
      'subscribe',
    );
  }

  serve(subject: string, handler: ServeHandler, opts: SubscribeOptions = {}): Subscription {
    return this.natsSubscribe(subject, opts.queue, (m) => this.answer(m, handler), 'serve');
  }

  async serveService(service: ServiceDescription, endpoints: readonly ServiceEndpoint[]): Promise<ServiceHandle> {
    if (this.closing || this.connection.isClosed()) throw new BusClosedError();
    for (const ep of endpoints) this.check(ep.subject);
    // @nats-io/services is typed against its own nats-core build; the connection is the same protocol object.
    const svc = await new Svcm(this.connection as unknown as ConstructorParameters<typeof Svcm>[0]).add({
      name: service.name,
      version: service.version,
      description: service.description ?? '',
      queue: service.queue ?? service.name,
    });
    for (const ep of endpoints) {
      svc.addEndpoint(ep.name, {
        subject: ep.subject,
        handler: (err, m) => {
          if (err) {
            this.report(err, { subject: ep.subject, operation: 'serveService' });
            return;
          }
          void this.answer(m as unknown as Msg, ep.handler);
        },
      });
    }
    return {
      stop: async () => {
        await svc.stop();
      },
    };
  }

  private async answer(m: Msg, handler: ServeHandler): Promise<void> {
    const msg: BusMessage = { subject: m.subject, data: m.data, headers: fromNatsHeaders(m.headers) };
    let reply: { data: Uint8Array; headers: BusHeaders };
    try {
      reply = replyParts(await handler(msg), msg.headers);
    } catch (error) {
      this.report(error, { subject: m.subject, operation: 'serve' });
      reply = { data: internalErrorReply(), headers: replyParts({}, msg.headers).headers };
    }
    const headers = toNatsHeaders(reply.headers);
    m.respond(reply.data, headers ? { headers } : undefined);
  }

  async request(subject: string, payload: BusPayload, opts: RequestOptions): Promise<BusMessage> {
    this.check(subject);
    const headers = toNatsHeaders(opts.headers);
    try {
      const m = await this.connection.request(subject, toBytes(payload), { timeout: opts.timeoutMs, ...(headers ? { headers } : {}) });
      return { subject: m.subject, data: m.data, headers: fromNatsHeaders(m.headers) };
    } catch (error) {
      throw this.translate(error, subject, opts.timeoutMs);
    }
  }

  async flush(): Promise<void> {
    if (this.closing || this.connection.isClosed()) throw new BusClosedError();
    await this.connection.flush();
  }

  async ensureStreams(definitions: readonly StreamDefinition[]): Promise<void> {
    if (this.closing || this.connection.isClosed()) throw new BusClosedError();
    for (const def of definitions) {
      const config: Partial<StreamConfig> & { name: string } = {
        name: def.name,
        subjects: [...def.subjects],
        retention: def.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
        storage: def.storage === 'memory' ? StorageType.Memory : StorageType.File,
        duplicate_window: nanos(def.duplicateWindowMs),
        max_age: nanos(def.maxAgeMs),
      };
      try {
        let exists = true;
        try {
          await this.jsm.streams.info(def.name);
        } catch (error) {
          if (apiCode(error) !== JS_STREAM_NOT_FOUND) throw error;
          exists = false;
        }
        if (exists) {
          const { name: _name, retention: _retention, storage: _storage, ...update } = config;
          await this.jsm.streams.update(def.name, update);
        } else {
          await this.jsm.streams.add(config);
        }
      } catch (error) {
        if (error instanceof JetStreamApiError) throw new BusConfigError(`stream ${def.name}: ${error.message}`, { cause: error });
        throw this.translate(error, def.name);
      }
    }
  }

  async publishDurable(subject: string, payload: BusPayload, opts: PublishDurableOptions): Promise<PublishDurableResult> {
    this.check(subject);
    const headers = toNatsHeaders(opts.headers);
    const data = toBytes(payload);
    const totalMs = this.options.publishTimeoutMs ?? 10_000;
    const deadline = Date.now() + totalMs;
    for (;;) {
      const attemptMs = Math.max(1, Math.min(this.options.publishAttemptTimeoutMs ?? 2_000, deadline - Date.now()));
      try {
        const ack = await this.js.publish(subject, data, { msgID: opts.msgId, timeout: attemptMs, ...(headers ? { headers } : {}) });
        return { duplicate: ack.duplicate, seq: ack.seq };
      } catch (error) {
        // No stream listens on the subject: the server answers the JetStream publish with "no responders".
        if (isCause(error, NatsNoRespondersError)) throw new StreamNotFoundError(subject, { cause: error });
        const retry = isCause(error, NatsTimeoutError) && Date.now() < deadline && !this.closing && !this.connection.isClosed();
        if (!retry) throw this.translate(error, subject, totalMs);
      }
    }
  }

  private async ensureConsumer(stream: string, durable: string, opts: ConsumeOptions): Promise<void> {
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(opts.ackWaitMs),
      max_deliver: opts.maxDeliver,
      ...(opts.filterSubject === undefined ? {} : { filter_subject: opts.filterSubject }),
    };
    try {
      await this.jsm.consumers.add(stream, config);
    } catch (error) {
      const code = apiCode(error);
      if (code === JS_STREAM_NOT_FOUND) throw new StreamNotFoundError(stream, { cause: error });
      if (code === JS_CONSUMER_EXISTS || code === JS_CONSUMER_EXISTS_OTHER) {
        // Same durable, other settings (a new release changed ackWait): update in place.
        try {
          await this.jsm.consumers.update(stream, durable, {
            ack_wait: config.ack_wait,
            max_deliver: opts.maxDeliver,
            ...(opts.filterSubject === undefined ? {} : { filter_subject: opts.filterSubject }),
          });
          return;
        } catch (updateError) {
          throw new BusConfigError(`consumer ${stream}/${durable}: ${(updateError as Error).message}`, { cause: updateError });
        }
      }
      if (error instanceof JetStreamApiError) throw new BusConfigError(`consumer ${stream}/${durable}: ${error.message}`, { cause: error });
      throw this.translate(error, stream);
    }
  }

  async consume(stream: string, durable: string, handler: DurableHandler, opts: ConsumeOptions): Promise<Consumer> {
    if (this.closing || this.connection.isClosed()) throw new BusClosedError();
    checkConsumeOptions(opts);
    await this.ensureConsumer(stream, durable, opts);
    let messages: ConsumerMessages;
    try {
      const consumer = await this.js.consumers.get(stream, durable);
      messages = await consumer.consume({
        max_messages: this.options.consumerPrefetch ?? 1,
        expires: this.options.pullExpiresMs ?? 5_000,
      });
    } catch (error) {
      if (apiCode(error) === JS_CONSUMER_NOT_FOUND) throw new StreamNotFoundError(`${stream}/${durable}`, { cause: error });
      throw this.translate(error, stream);
    }
    const loop = (async () => {
      for await (const m of messages) await this.track(this.handleDurable(stream, m, handler));
    })().catch((error: unknown) => this.report(error, { operation: 'consume', subject: stream }));
    const entry = { stream, durable, messages, loop };
    this.consumers.add(entry);
    return {
      stream,
      durable,
      stop: async () => {
        await this.stopConsumer(entry);
      },
    };
  }

  private async handleDurable(stream: string, m: JsMsg, handler: DurableHandler): Promise<void> {
    const msg: DurableMessage = {
      subject: m.subject,
      data: m.data,
      headers: fromNatsHeaders(m.headers),
      stream,
      seq: m.seq,
      deliveryCount: m.info.deliveryCount,
      ack: async () => {
        let confirmed: boolean;
        try {
          confirmed = await m.ackAck();
        } catch (error) {
          throw new BusUnavailableError(`ack of ${stream}#${m.seq} not confirmed`, { cause: error });
        }
        if (!confirmed) throw new BusUnavailableError(`ack of ${stream}#${m.seq} not confirmed`);
      },
      nak: async (delayMs?: number) => {
        m.nak(delayMs);
      },
      term: async () => {
        m.term();
      },
    };
    try {
      await handler(msg);
    } catch (error) {
      this.report(error, { subject: m.subject, operation: 'consume' });
      m.nak();
    }
  }

  private async stopConsumer(entry: ConsumerEntry): Promise<void> {
    if (!this.consumers.delete(entry)) return;
    await entry.messages.close();
    await entry.loop;
    // Our last pull request outlives the closed subscription on the server, which drops it only when it next checks
    // its waiting pulls for interest (nats-server 2.9 does so on a consumer-info request): until then a message
    // nak'd by a stopping worker is delivered into that void and comes back only after its ackWait.
    if (!this.connection.isClosed()) await this.jsm.consumers.info(entry.stream, entry.durable).catch(() => undefined);
  }

  async drain(): Promise<void> {
    if (this.connection.isClosed()) return;
    this.closing = true;
    await Promise.all([...this.consumers].map((c) => this.stopConsumer(c)));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.connection.drain();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    this.closing = true;
    await Promise.all([...this.consumers].map((c) => this.stopConsumer(c)));
    await this.connection.close();
  }
}
