import { randomUUID } from 'node:crypto';
import type { StreamDefinition } from '@acs/contracts';
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
  InvalidSubjectError,
  NoRespondersError,
  StreamNotFoundError,
} from './errors.js';
import { internalErrorReply, replyParts, toBytes } from './payload.js';
import { checkConsumeOptions, isValidPattern, isValidSubject, patternsOverlap, subjectMatches } from './subject-match.js';

interface Delivery {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: BusHeaders;
  readonly replyTo?: string;
}

interface SubEntry {
  readonly id: number;
  readonly pattern: string;
  readonly queue?: string;
  readonly client: MemoryClient;
  readonly deliver: (d: Delivery) => void;
}

interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: BusHeaders;
  readonly storedAt: number;
}

interface StreamState {
  def: StreamDefinition;
  readonly messages: Map<number, StoredMessage>;
  lastSeq: number;
  /** msgId => [seq, expiresAt]. */
  readonly dedup: Map<string, [number, number]>;
  readonly consumers: Map<string, ConsumerState>;
}

interface PendingEntry {
  deliveries: number;
  timer: NodeJS.Timeout | null;
  /** Already in `ready`: a late nak or timer must not queue it twice. */
  queued: boolean;
}

interface ConsumerInstance {
  readonly client: MemoryClient;
  readonly handler: DurableHandler;
  busy: boolean;
  stopped: boolean;
  /** The handler call in progress, so `stop()` can wait for it like the NATS adapter does. */
  current: Promise<void> | null;
}

interface ConsumerState {
  readonly stream: StreamState;
  readonly durable: string;
  opts: ConsumeOptions;
  /** Next stream sequence never delivered yet. */
  nextSeq: number;
  /** Delivered, not yet settled. */
  readonly pending: Map<number, PendingEntry>;
  /** Due for redelivery, in order. */
  readonly ready: number[];
  readonly instances: ConsumerInstance[];
  rr: number;
}

/**
 * The in-process broker several `MemoryBus` clients share, like clients of one NATS server. Holds subscriptions,
 * streams and durable consumers; timers are unref'd so an idle broker never keeps the process alive.
 */
export class MemoryBroker {
  private nextSubId = 1;
  readonly subs = new Map<number, SubEntry>();
  readonly streams = new Map<string, StreamState>();
  private readonly queueCursor = new Map<string, number>();

  /** Routes one message to the matching subscribers; returns how many got it. */
  route(delivery: Delivery): number {
    const plain: SubEntry[] = [];
    const groups = new Map<string, SubEntry[]>();
    for (const sub of this.subs.values()) {
      if (!subjectMatches(sub.pattern, delivery.subject)) continue;
      if (sub.queue === undefined) {
        plain.push(sub);
      } else {
        const key = `${sub.pattern}\u0000${sub.queue}`;
        const members = groups.get(key) ?? [];
        members.push(sub);
        groups.set(key, members);
      }
    }
    const chosen = [...plain];
    for (const [key, members] of groups) {
      const cursor = this.queueCursor.get(key) ?? 0;
      this.queueCursor.set(key, cursor + 1);
      chosen.push(members[cursor % members.length] as SubEntry);
    }
    for (const sub of chosen) sub.deliver(delivery);
    return chosen.length;
  }

  addSub(entry: Omit<SubEntry, 'id'>): SubEntry {
    const sub = { ...entry, id: this.nextSubId++ };
    this.subs.set(sub.id, sub);
    return sub;
  }

  streamFor(subject: string): StreamState | undefined {
    for (const stream of this.streams.values()) {
      if (stream.def.subjects.some((p) => subjectMatches(p, subject))) return stream;
    }
    return undefined;
  }

  ensureStream(def: StreamDefinition): void {
    for (const other of this.streams.values()) {
      if (other.def.name === def.name) continue;
      for (const a of other.def.subjects) {
        for (const b of def.subjects) {
          if (patternsOverlap(a, b)) throw new BusConfigError(`stream ${def.name} subjects overlap stream ${other.def.name}`);
        }
      }
    }
    const existing = this.streams.get(def.name);
    if (existing) {
      if (existing.def.retention !== def.retention) {
        throw new BusConfigError(`stream ${def.name}: retention cannot change (${existing.def.retention} -> ${def.retention})`);
      }
      existing.def = { ...def, subjects: [...def.subjects] };
      return;
    }
    this.streams.set(def.name, { def: { ...def, subjects: [...def.subjects] }, messages: new Map(), lastSeq: 0, dedup: new Map(), consumers: new Map() });
  }

  store(subject: string, data: Uint8Array, headers: BusHeaders, msgId: string): PublishDurableResult {
    const stream = this.streamFor(subject);
    if (!stream) throw new StreamNotFoundError(subject);
    const now = Date.now();
    this.expire(stream, now);
    const seen = stream.dedup.get(msgId);
    if (seen && seen[1] > now) return { duplicate: true, seq: seen[0] };
    const seq = ++stream.lastSeq;
    stream.messages.set(seq, { seq, subject, data, headers, storedAt: now });
    stream.dedup.set(msgId, [seq, now + stream.def.duplicateWindowMs]);
    for (const consumer of stream.consumers.values()) this.pump(consumer);
    return { duplicate: false, seq };
  }

  private expire(stream: StreamState, now: number): void {
    for (const [id, [, expiresAt]] of stream.dedup) if (expiresAt <= now) stream.dedup.delete(id);
    if (stream.def.maxAgeMs <= 0) return;
    for (const [seq, msg] of stream.messages) {
      // Map iteration is insertion (= sequence) order, so the first young message ends the scan.
      if (now - msg.storedAt < stream.def.maxAgeMs) break;
      stream.messages.delete(seq);
    }
  }

  consumer(streamName: string, durable: string, opts: ConsumeOptions): ConsumerState {
    const stream = this.streams.get(streamName);
    if (!stream) throw new StreamNotFoundError(streamName);
    const filter = opts.filterSubject;
    if (filter !== undefined && !stream.def.subjects.some((p) => patternsOverlap(p, filter))) {
      throw new BusConfigError(`filter ${filter} matches nothing in stream ${streamName}`);
    }
    if (stream.def.retention === 'workqueue') {
      for (const other of stream.consumers.values()) {
        if (other.durable === durable) continue;
        if (patternsOverlap(other.opts.filterSubject ?? '>', filter ?? '>')) {
          throw new BusConfigError(`work-queue stream ${streamName}: consumer ${durable} overlaps consumer ${other.durable}`);
        }
      }
    }
    let state = stream.consumers.get(durable);
    if (state) {
      state.opts = opts;
    } else {
      state = { stream, durable, opts, nextSeq: 1, pending: new Map(), ready: [], instances: [], rr: 0 };
      stream.consumers.set(durable, state);
    }
    return state;
  }

  /** Hands deliverable messages to idle instances, round robin. */
  pump(c: ConsumerState): void {
    for (;;) {
      const live = c.instances.filter((i) => !i.stopped);
      if (live.length === 0) return;
      let instance: ConsumerInstance | undefined;
      for (let k = 0; k < live.length; k++) {
        const candidate = live[(c.rr + k) % live.length] as ConsumerInstance;
        if (!candidate.busy) {
          instance = candidate;
          c.rr = (c.rr + k + 1) % live.length;
          break;
        }
      }
      if (!instance) return;
      const msg = this.nextFor(c);
      if (!msg) return;
      this.deliverDurable(c, instance, msg);
    }
  }

  private nextFor(c: ConsumerState): StoredMessage | undefined {
    while (c.ready.length > 0) {
      const seq = c.ready.shift() as number;
      const msg = c.stream.messages.get(seq);
      const entry = c.pending.get(seq);
      if (msg && entry) {
        entry.queued = false;
        return msg;
      }
      c.pending.delete(seq);
    }
    const filter = c.opts.filterSubject;
    while (c.nextSeq <= c.stream.lastSeq) {
      const msg = c.stream.messages.get(c.nextSeq++);
      if (!msg) continue;
      if (filter !== undefined && !subjectMatches(filter, msg.subject)) continue;
      c.pending.set(msg.seq, { deliveries: 0, timer: null, queued: false });
      return msg;
    }
    return undefined;
  }

  private deliverDurable(c: ConsumerState, instance: ConsumerInstance, msg: StoredMessage): void {
    const entry = c.pending.get(msg.seq) as PendingEntry;
    entry.deliveries += 1;
    const delivery = entry.deliveries;
    const settled = () => c.pending.get(msg.seq) !== entry || entry.deliveries !== delivery;
    const clear = () => {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
    };
    const redeliverOrGiveUp = () => {
      if (entry.queued) return;
      if (entry.deliveries >= c.opts.maxDeliver) {
        // Like JetStream: the message stays in the stream but this consumer never delivers it again.
        c.pending.delete(msg.seq);
      } else {
        entry.queued = true;
        c.ready.push(msg.seq);
      }
      this.pump(c);
    };
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (!settled()) redeliverOrGiveUp();
    }, c.opts.ackWaitMs);
    entry.timer.unref();

    const finish = () => {
      clear();
      c.pending.delete(msg.seq);
      if (c.stream.def.retention === 'workqueue') c.stream.messages.delete(msg.seq);
    };
    const durableMsg: DurableMessage = {
      subject: msg.subject,
      data: msg.data,
      headers: msg.headers,
      stream: c.stream.def.name,
      seq: msg.seq,
      deliveryCount: delivery,
      ack: async () => {
        // A late ack still counts as long as the message was not given up (JetStream accepts it too).
        if (c.pending.get(msg.seq) === entry) finish();
      },
      term: async () => {
        if (c.pending.get(msg.seq) === entry) finish();
      },
      nak: async (delayMs?: number) => {
        if (settled()) return;
        clear();
        if (delayMs && delayMs > 0) {
          entry.timer = setTimeout(() => {
            entry.timer = null;
            if (c.pending.get(msg.seq) === entry && entry.deliveries === delivery) redeliverOrGiveUp();
          }, delayMs);
          entry.timer.unref();
        } else {
          redeliverOrGiveUp();
        }
      },
    };
    instance.busy = true;
    instance.current = instance.client.track(async () => {
      // Never run consumer code inside the publisher's call (or inside this pump loop).
      await Promise.resolve();
      try {
        await instance.handler(durableMsg);
      } catch (error) {
        instance.client.report(error, { subject: msg.subject, operation: 'consume' });
        await durableMsg.nak();
      } finally {
        instance.busy = false;
        this.pump(c);
      }
    });
  }
}

export interface MemoryBusOptions {
  /** Share one broker between clients to connect them; a new private broker otherwise. */
  readonly broker?: MemoryBroker;
  readonly onError?: BusErrorReporter;
}

interface MemoryClient {
  report: BusErrorReporter;
  track(run: () => Promise<void>): Promise<void>;
}

/** Creates an in-process `Bus` client on `broker` (the embedded, all-in-one adapter). */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  return new MemoryBus(options.broker ?? new MemoryBroker(), options.onError);
}

export class MemoryBus implements Bus {
  private closed = false;
  private readonly ownSubs = new Set<number>();
  private readonly ownInstances = new Set<{ state: ConsumerState; instance: ConsumerInstance }>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly client: MemoryClient;

  constructor(
    readonly broker: MemoryBroker,
    onError: BusErrorReporter = () => {},
  ) {
    this.client = { report: onError, track: (run) => this.track(run) };
  }

  private check(subject: string, pattern = false): void {
    if (this.closed) throw new BusClosedError();
    if (!(pattern ? isValidPattern(subject) : isValidSubject(subject))) throw new InvalidSubjectError(subject);
  }

  private track(run: () => Promise<void>): Promise<void> {
    const p = run();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  publish(subject: string, payload: BusPayload, opts: PublishOptions = {}): void {
    this.check(subject);
    this.broker.route({ subject, data: toBytes(payload), headers: { ...opts.headers } });
  }

  private addSub(pattern: string, queue: string | undefined, onMessage: (d: Delivery) => Promise<void>): Subscription {
    this.check(pattern, true);
    const client = this.client;
    const sub = this.broker.addSub({
      pattern,
      ...(queue === undefined ? {} : { queue }),
      client,
      // Asynchronous like a network: a publisher never runs subscriber code inside its own call.
      deliver: (d) =>
        void this.track(async () => {
          await Promise.resolve();
          try {
            await onMessage(d);
          } catch (error) {
            client.report(error, { subject: d.subject, operation: 'subscribe' });
          }
        }),
    });
    this.ownSubs.add(sub.id);
    return {
      subject: pattern,
      unsubscribe: async () => {
        this.broker.subs.delete(sub.id);
        this.ownSubs.delete(sub.id);
      },
    };
  }

  subscribe(subject: string, handler: MessageHandler, opts: SubscribeOptions = {}): Subscription {
    return this.addSub(subject, opts.queue, async (d) => {
      await handler({ subject: d.subject, data: d.data, headers: d.headers });
    });
  }

  serve(subject: string, handler: ServeHandler, opts: SubscribeOptions = {}): Subscription {
    return this.addSub(subject, opts.queue, async (d) => {
      const msg: BusMessage = { subject: d.subject, data: d.data, headers: d.headers };
      let reply: { data: Uint8Array; headers: BusHeaders };
      try {
        reply = replyParts(await handler(msg), d.headers);
      } catch (error) {
        this.client.report(error, { subject: d.subject, operation: 'serve' });
        reply = { data: internalErrorReply(), headers: replyParts({}, d.headers).headers };
      }
      if (d.replyTo !== undefined) this.broker.route({ subject: d.replyTo, data: reply.data, headers: reply.headers });
    });
  }

  async serveService(service: ServiceDescription, endpoints: readonly ServiceEndpoint[]): Promise<ServiceHandle> {
    const queue = service.queue ?? service.name;
    const subs = endpoints.map((ep) => this.serve(ep.subject, ep.handler, { queue }));
    return {
      async stop() {
        await Promise.all(subs.map((sub) => sub.unsubscribe()));
      },
    };
  }

  async request(subject: string, payload: BusPayload, opts: RequestOptions): Promise<BusMessage> {
    this.check(subject);
    const inbox = `_INBOX.${randomUUID().replace(/-/g, '')}`;
    return new Promise<BusMessage>((resolve, reject) => {
      let done = false;
      const sub = this.broker.addSub({
        pattern: inbox,
        client: this.client,
        deliver: (d) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.broker.subs.delete(sub.id);
          resolve({ subject: d.subject, data: d.data, headers: d.headers });
        },
      });
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.broker.subs.delete(sub.id);
        reject(new BusTimeoutError(subject, opts.timeoutMs));
      }, opts.timeoutMs);
      const reached = this.broker.route({ subject, data: toBytes(payload), headers: { ...opts.headers }, replyTo: inbox });
      if (reached === 0) {
        done = true;
        clearTimeout(timer);
        this.broker.subs.delete(sub.id);
        reject(new NoRespondersError(subject));
      }
    });
  }

  async flush(): Promise<void> {
    if (this.closed) throw new BusClosedError();
  }

  async ensureStreams(definitions: readonly StreamDefinition[]): Promise<void> {
    if (this.closed) throw new BusClosedError();
    for (const def of definitions) this.broker.ensureStream(def);
  }

  async publishDurable(subject: string, payload: BusPayload, opts: PublishDurableOptions): Promise<PublishDurableResult> {
    this.check(subject);
    const data = toBytes(payload);
    const headers = { ...opts.headers };
    const result = this.broker.store(subject, data, headers, opts.msgId);
    // As on NATS, a JetStream publish is also a core message: plain subscribers of the subject see it
    // (duplicates included: de-duplication is the stream's, not the subject's).
    this.broker.route({ subject, data, headers });
    return result;
  }

  async consume(stream: string, durable: string, handler: DurableHandler, opts: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw new BusClosedError();
    checkConsumeOptions(opts);
    const state = this.broker.consumer(stream, durable, opts);
    const instance: ConsumerInstance = { client: this.client, handler, busy: false, stopped: false, current: null };
    state.instances.push(instance);
    const own = { state, instance };
    this.ownInstances.add(own);
    this.broker.pump(state);
    return {
      stream,
      durable,
      stop: async () => {
        this.stopInstance(own);
        await instance.current;
      },
    };
  }

  private stopInstance(own: { state: ConsumerState; instance: ConsumerInstance }): void {
    own.instance.stopped = true;
    const i = own.state.instances.indexOf(own.instance);
    if (i >= 0) own.state.instances.splice(i, 1);
    this.ownInstances.delete(own);
  }

  async drain(): Promise<void> {
    if (this.closed) return;
    for (const id of this.ownSubs) this.broker.subs.delete(id);
    for (const own of [...this.ownInstances]) this.stopInstance(own);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of this.ownSubs) this.broker.subs.delete(id);
    this.ownSubs.clear();
    for (const own of [...this.ownInstances]) this.stopInstance(own);
  }
}
