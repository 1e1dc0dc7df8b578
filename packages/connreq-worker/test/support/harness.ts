// The worker core on the in-process bus, with a fake `perform` that records every try: what the tests observe is
// what a transport and the rest of the system would (the tries, the events, the next commands, dead letters).
import { afterEach } from '@jest/globals';
import { MemoryBroker, createMemoryBus, type Bus, type MemoryBus } from '@acs/bus';
import {
  DURABLE_CONSUMERS,
  createSubjects,
  decodePayload,
  parseConnreqEvent,
  parseConnreqHttpCommand,
  parseConnreqXmppCommand,
  parseDeadLetter,
  type ConnreqCommandBase,
  type ConnreqEvent,
  type ConnreqXmppCommand,
  type DeadLetter,
  type Parser,
} from '@acs/contracts';
import { createLogger } from '@acs/telemetry';
import { createConnreqWorker, type ConnreqWorker, type ConnreqWorkerOptions } from '../../src/connreq-worker.js';
import type { Perform, PerformContext, PerformResult } from '../../src/perform.js';

export const subjects = createSubjects('acs');
export const logger = createLogger({ service: 'connreq-worker-test', level: 'silent' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});
export const onCleanup = (fn: () => Promise<void>) => cleanups.push(fn);

export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A gate a fake try waits at until the test opens it. */
export function gate(): { readonly wait: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** One call of `perform`, as the transport saw it. */
export interface Try {
  readonly cmd: ConnreqCommandBase & Record<string, unknown>;
  readonly ctx: PerformContext;
  /** Wall clock (Date.now) when the try started and ended. */
  readonly startedAt: number;
  endedAt?: number;
}

export type FakePerform = (cmd: ConnreqCommandBase & Record<string, unknown>, ctx: PerformContext, tryNo: number) => PerformResult | Promise<PerformResult>;

export const accept: FakePerform = () => ({ outcome: 'accepted' });

export interface WorkerOverrides extends Partial<Omit<ConnreqWorkerOptions<ConnreqCommandBase>, 'perform' | 'parse'>> {
  readonly perform?: FakePerform;
  readonly parse?: Parser<ConnreqCommandBase>;
}

export interface Harness {
  readonly broker: MemoryBroker;
  readonly bus: MemoryBus;
  readonly tries: Try[];
  readonly events: ConnreqEvent[];
  readonly eventHeaders: Record<string, string>[];
  readonly xmppCommands: ConnreqXmppCommand[];
  readonly deadLetters: DeadLetter[];
  startWorker(overrides?: WorkerOverrides): Promise<ConnreqWorker>;
  send(command: Record<string, unknown>, opts?: { msgId?: string; headers?: Record<string, string>; subject?: string }): Promise<void>;
  pendingCommands(): number;
}

export async function harness(): Promise<Harness> {
  const broker = new MemoryBroker();
  const bus = createMemoryBus({ broker });
  onCleanup(() => bus.close());
  await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
  const h = {
    broker,
    bus,
    tries: [] as Try[],
    events: [] as ConnreqEvent[],
    eventHeaders: [] as Record<string, string>[],
    xmppCommands: [] as ConnreqXmppCommand[],
    deadLetters: [] as DeadLetter[],
  };
  const opts = { ackWaitMs: 30_000, maxDeliver: 5 };
  await bus.consume(subjects.streams.events.name, 'test-observer', async (m) => {
    const parsed = decodePayload(m.data, parseConnreqEvent);
    if (parsed.ok) {
      h.events.push(parsed.value);
      h.eventHeaders.push({ ...m.headers });
    }
    await m.ack();
  }, { ...opts, filterSubject: subjects.evt.allConnreqs });
  await bus.consume(subjects.streams.commands.name, DURABLE_CONSUMERS.connreqXmpp, async (m) => {
    const parsed = decodePayload(m.data, parseConnreqXmppCommand);
    if (!parsed.ok) throw parsed.error;
    h.xmppCommands.push(parsed.value);
    await m.ack();
  }, { ...opts, filterSubject: subjects.cmd.connreq.xmpp });
  await bus.consume(subjects.streams.deadLetters.name, 'test-dlq', async (m) => {
    const parsed = decodePayload(m.data, parseDeadLetter);
    if (parsed.ok) h.deadLetters.push(parsed.value);
    await m.ack();
  }, opts);
  let n = 0;
  return {
    ...h,
    async startWorker(overrides = {}) {
      const { perform: fake = accept, parse = parseConnreqHttpCommand, ...rest } = overrides;
      let tryNo = 0;
      const perform: Perform<ConnreqCommandBase & Record<string, unknown>> = async (cmd, ctx) => {
        const entry: Try = { cmd, ctx, startedAt: Date.now() };
        h.tries.push(entry);
        try {
          return await fake(cmd, ctx, ++tryNo);
        } finally {
          entry.endedAt = Date.now();
        }
      };
      const worker = createConnreqWorker({
        transport: 'http',
        parse: parse as Parser<ConnreqCommandBase & Record<string, unknown>>,
        perform,
        bus: createMemoryBus({ broker }) as Bus,
        subjects,
        logger,
        concurrency: 8,
        minIntervalPerDeviceMs: 0,
        retry: { baseMs: 50, maxMs: 200 },
        tryTimeoutMs: 2_000,
        ...rest,
      });
      await worker.start();
      onCleanup(() => worker.stop());
      return worker;
    },
    async send(command, o = {}) {
      await bus.publishDurable(o.subject ?? subjects.cmd.connreq.http, command, {
        msgId: o.msgId ?? String(command.requestId ?? `raw-${++n}`),
        ...(o.headers ? { headers: o.headers } : {}),
      });
    },
    pendingCommands: () => broker.streams.get(subjects.streams.commands.name)?.messages.size ?? -1,
  };
}

export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A valid HTTP command (the fake perform never connects anywhere). */
export const command = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  deviceId: `000000-Box-${requestId}`,
  url: 'http://127.0.0.1:9/cr',
  credentials: { username: 'cruser', password: 'crpass' },
  deadline: inMs(5_000),
  ...extra,
});
