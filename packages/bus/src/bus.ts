import type { StreamDefinition } from '@acs/contracts';

/** Bytes as they are, or any other value sent as JSON. */
export type BusPayload = Uint8Array | object;

/** Message headers, one value per name. `traceparent` travels here. */
export type BusHeaders = Readonly<Record<string, string>>;

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: BusHeaders;
}

export type MessageHandler = (msg: BusMessage) => void | Promise<void>;

/** What a `serve` handler returns: a payload, or a payload with headers via `withHeaders()`. */
export type ServeHandler = (msg: BusMessage) => BusPayload | BusReply | Promise<BusPayload | BusReply>;

/** A reply payload with explicit headers. */
export class BusReply {
  constructor(
    readonly payload: BusPayload,
    readonly headers: BusHeaders = {},
  ) {}
}

export function withHeaders(payload: BusPayload, headers: BusHeaders): BusReply {
  return new BusReply(payload, headers);
}

export interface Subscription {
  readonly subject: string;
  /** Stops delivery; messages already handed to the handler still run. */
  unsubscribe(): Promise<void>;
}

export interface PublishOptions {
  readonly headers?: BusHeaders;
}

export interface SubscribeOptions {
  /** Subscribers sharing a queue name share the messages: each goes to exactly one of them. */
  readonly queue?: string;
}

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly headers?: BusHeaders;
}

export interface PublishDurableOptions {
  /** De-duplication id (`Nats-Msg-Id`); our commands use their `requestId`. */
  readonly msgId: string;
  readonly headers?: BusHeaders;
}

export interface PublishDurableResult {
  /** True when a message with the same `msgId` was already stored within the stream's duplicate window. */
  readonly duplicate: boolean;
  /** Stream sequence of the stored message (of the original one for a duplicate). */
  readonly seq: number;
}

export interface ConsumeOptions {
  /** A delivered message not acked, nak'd or term'd within this time is redelivered (possibly elsewhere). */
  readonly ackWaitMs: number;
  /** Deliveries before the message is given up (left in the stream, never delivered again). */
  readonly maxDeliver: number;
  /** Only messages on matching subjects (wildcards allowed). */
  readonly filterSubject?: string;
}

export interface DurableMessage extends BusMessage {
  readonly stream: string;
  readonly seq: number;
  /** 1 on first delivery, then 2, 3... up to `maxDeliver`. */
  readonly deliveryCount: number;
  /** Done: never delivered again (and removed from a work-queue stream). Resolves once the server confirmed it. */
  ack(): Promise<void>;
  /** Not done: redeliver now, or after `delayMs`. */
  nak(delayMs?: number): Promise<void>;
  /** Never deliver again, without processing (poison message). */
  term(): Promise<void>;
}

/** A handler that throws nak()s the message; one that returns without settling leaves it to the ackWait timer. */
export type DurableHandler = (msg: DurableMessage) => void | Promise<void>;

export interface Consumer {
  readonly stream: string;
  readonly durable: string;
  /**
   * Stops taking messages and resolves once the handler call in progress (if any) returned; unsettled messages
   * are redelivered after their ackWait. The durable consumer itself remains on the server.
   */
  stop(): Promise<void>;
}

/** A named group of request/reply endpoints, described as NATS micro services are (`nats micro ls`). */
export interface ServiceDescription {
  /** `[A-Za-z0-9_-]+` */
  readonly name: string;
  /** Semantic version, e.g. `1.0.0`. */
  readonly version: string;
  readonly description?: string;
  /** Queue group of every endpoint; defaults to the service name so replicas share the requests. */
  readonly queue?: string;
}

export interface ServiceEndpoint {
  /** `[A-Za-z0-9_-]+`, shown by `nats micro info`. */
  readonly name: string;
  readonly subject: string;
  readonly handler: ServeHandler;
}

export interface ServiceHandle {
  /** Stops answering; requests in flight are still answered. */
  stop(): Promise<void>;
}

/**
 * The message bus every service talks through. Subjects are NATS subjects (`.`-separated tokens, `*` one token,
 * `>` the rest). Payloads that are not `Uint8Array` are sent as JSON. Every operation throws `BusClosedError`
 * after `close()`/`drain()`. Handler errors never escape into the bus: they go to the adapter's `onError`.
 */
export interface Bus {
  /** Fire-and-forget: delivered to the current subscribers, or to nobody. */
  publish(subject: string, payload: BusPayload, opts?: PublishOptions): void;
  /** Every subscriber without a queue gets each matching message; each queue group gets it once. */
  subscribe(subject: string, handler: MessageHandler, opts?: SubscribeOptions): Subscription;
  /**
   * Sends one request and resolves with the first reply. Rejects with `NoRespondersError` when nobody listens,
   * `BusTimeoutError` after `timeoutMs`.
   */
  request(subject: string, payload: BusPayload, opts: RequestOptions): Promise<BusMessage>;
  /**
   * Answers requests on `subject` with what `handler` returns. The request's `traceparent` is copied onto the
   * reply unless the handler sets one. A handler that throws is answered with an `INTERNAL` error reply
   * (`{ok:false,error:{code,message}}`) and reported to `onError`.
   */
  serve(subject: string, handler: ServeHandler, opts?: SubscribeOptions): Subscription;
  /**
   * Serves `endpoints` as one service with `serve`'s reply semantics. On NATS it is a micro service
   * (`@nats-io/services`: discoverable through `$SRV.PING|INFO|STATS`, listed by `nats micro ls`); in memory the
   * endpoints are plain `serve` subscriptions in the service's queue group.
   */
  serveService(service: ServiceDescription, endpoints: readonly ServiceEndpoint[]): Promise<ServiceHandle>;
  /** Resolves once everything sent so far (subscriptions included) has reached the server. */
  flush(): Promise<void>;

  /** Creates or updates the streams so they match the definitions. Idempotent. */
  ensureStreams(definitions: readonly StreamDefinition[]): Promise<void>;
  /** Stores a message in the stream capturing `subject`; rejects with `StreamNotFoundError` if there is none. */
  publishDurable(subject: string, payload: BusPayload, opts: PublishDurableOptions): Promise<PublishDurableResult>;
  /**
   * Consumes a stream through the durable consumer `durable` (created if missing, from the stream's first
   * message). Several consumers with the same durable name share its messages. On a work-queue stream the
   * filter subjects of different durables must not overlap (`BusConfigError`).
   */
  consume(stream: string, durable: string, handler: DurableHandler, opts: ConsumeOptions): Promise<Consumer>;

  /** Stops taking new messages, lets in-flight handlers finish, then closes. */
  drain(): Promise<void>;
  /** Closes now. */
  close(): Promise<void>;
}

/** Where adapters report what they cannot throw to a caller: handler failures, reconnects. */
export type BusErrorReporter = (error: unknown, context: { readonly subject?: string; readonly operation: string }) => void;
