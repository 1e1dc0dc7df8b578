import { afterEach, describe, expect, it } from '@jest/globals';
import { createSubjects, DURABLE_CONSUMERS, parseErrorReply, parsePokeCommand, decodePayload, TRACEPARENT_HEADER, type StreamDefinition } from '@acs/contracts';
import type { Bus, BusMessage, Consumer, DurableMessage } from './bus.js';
import { withHeaders } from './bus.js';
import { BusClosedError, BusConfigError, BusTimeoutError, InvalidSubjectError, NoRespondersError, StreamNotFoundError } from './errors.js';

export interface BusContractOptions {
  /** Restarts the server under the buses (NATS only); enables the restart test. */
  readonly restartServer?: () => Promise<void>;
  /** Deadline for conditions that wait on a restart. */
  readonly restartTimeoutMs?: number;
}

const decoder = new TextDecoder();
const text = (m: BusMessage) => decoder.decode(m.data);
const json = (m: BusMessage): unknown => JSON.parse(text(m));

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let counter = 0;
function uid(): string {
  counter += 1;
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}${counter}`;
}

/** Polls a real condition until it holds or the deadline passes (then fails with `what`). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function streamDef(retention: StreamDefinition['retention']): StreamDefinition {
  const id = uid();
  return {
    name: `T_${id}`.toUpperCase(),
    subjects: [`t${id}.>`],
    retention,
    storage: 'file',
    duplicateWindowMs: 60_000,
    maxAgeMs: 0,
  };
}

const subjectOf = (def: StreamDefinition, rest: string) => `${(def.subjects[0] as string).slice(0, -2)}.${rest}`;

/**
 * The behaviour every `Bus` adapter must show. `makeBus` returns a new client connected to the same broker or
 * server each time it is called (several calls model several processes).
 */
export function describeBusContract(name: string, makeBus: () => Promise<Bus>, options: BusContractOptions = {}): void {
  describe(`Bus contract: ${name}`, () => {
    const open: Bus[] = [];
    const connect = async () => {
      const bus = await makeBus();
      open.push(bus);
      return bus;
    };

    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    describe('core publish/subscribe', () => {
      it('delivers by wildcard: * is one token, > is the rest', async () => {
        const bus = await connect();
        const p = `w${uid()}`;
        const star: string[] = [];
        const rest: string[] = [];
        bus.subscribe(`${p}.*.x`, (m) => void star.push(m.subject));
        bus.subscribe(`${p}.>`, (m) => void rest.push(m.subject));
        for (const s of [`${p}.a.x`, `${p}.a.y`, `${p}.a.b.x`, `${p}.b.x`, `${p}`, `${p}.end.x`]) bus.publish(s, {});
        await waitFor(() => star.includes(`${p}.end.x`) && rest.includes(`${p}.end.x`), 'the last message');
        expect(star).toEqual([`${p}.a.x`, `${p}.b.x`, `${p}.end.x`]);
        expect(rest).toEqual([`${p}.a.x`, `${p}.a.y`, `${p}.a.b.x`, `${p}.b.x`, `${p}.end.x`]);
      });

      it('sends objects as JSON and bytes as they are, with headers', async () => {
        const bus = await connect();
        const subject = `j${uid()}.x`;
        const got: BusMessage[] = [];
        bus.subscribe(subject, (m) => void got.push(m));
        bus.publish(subject, { deviceId: 'A-B-C', n: 1 }, { headers: { [TRACEPARENT_HEADER]: TRACEPARENT } });
        bus.publish(subject, new Uint8Array([0, 255, 7]));
        await waitFor(() => got.length === 2, 'two messages');
        expect(json(got[0] as BusMessage)).toEqual({ deviceId: 'A-B-C', n: 1 });
        expect(got[0]?.headers[TRACEPARENT_HEADER]).toBe(TRACEPARENT);
        expect([...(got[1] as BusMessage).data]).toEqual([0, 255, 7]);
      });

      it('gives each message to exactly one member of a queue group, and to every plain subscriber', async () => {
        const [a, b, c, pub] = await Promise.all([connect(), connect(), connect(), connect()]);
        const subject = `q${uid()}.work`;
        const gotA: number[] = [];
        const gotB: number[] = [];
        const gotC: number[] = [];
        const n = (m: BusMessage) => (json(m) as { i: number }).i;
        a.subscribe(subject, (m) => void gotA.push(n(m)), { queue: 'workers' });
        b.subscribe(subject, (m) => void gotB.push(n(m)), { queue: 'workers' });
        c.subscribe(subject, (m) => void gotC.push(n(m)));
        await Promise.all([a.flush(), b.flush(), c.flush()]);
        const total = 40;
        for (let i = 0; i < total; i++) pub.publish(subject, { i });
        await waitFor(() => gotC.length === total && gotA.length + gotB.length === total, 'all messages');
        const shared = [...gotA, ...gotB].sort((x, y) => x - y);
        expect(shared).toEqual([...Array(total).keys()]);
        expect(gotA.length).toBeGreaterThan(0);
        expect(gotB.length).toBeGreaterThan(0);
        expect(gotC).toEqual([...Array(total).keys()]);
      });

      it('stops delivering after unsubscribe', async () => {
        const bus = await connect();
        const subject = `u${uid()}.x`;
        const first: number[] = [];
        const second: number[] = [];
        const sub = bus.subscribe(subject, (m) => void first.push((json(m) as { i: number }).i));
        bus.subscribe(subject, (m) => void second.push((json(m) as { i: number }).i));
        bus.publish(subject, { i: 1 });
        await waitFor(() => first.length === 1 && second.length === 1, 'first message');
        await sub.unsubscribe();
        bus.publish(subject, { i: 2 });
        await waitFor(() => second.length === 2, 'second message on the remaining subscriber');
        expect(first).toEqual([1]);
      });

      it('rejects invalid subjects with InvalidSubjectError', async () => {
        const bus = await connect();
        expect(() => bus.publish('a..b', {})).toThrow(InvalidSubjectError);
        expect(() => bus.publish('a.*', {})).toThrow(InvalidSubjectError);
        expect(() => bus.subscribe('a.>.b', () => {})).toThrow(InvalidSubjectError);
      });
    });

    describe('request/reply', () => {
      it('answers a request and carries traceparent both ways', async () => {
        const [server, client] = await Promise.all([connect(), connect()]);
        const subject = `r${uid()}.registry.session.next`;
        const seen: BusMessage[] = [];
        server.serve(
          subject,
          (m) => {
            seen.push(m);
            return { echo: json(m) };
          },
          { queue: 'registry' },
        );
        await server.flush();
        const reply = await client.request(subject, { ask: 1 }, { timeoutMs: 2_000, headers: { [TRACEPARENT_HEADER]: TRACEPARENT } });
        expect(json(reply)).toEqual({ echo: { ask: 1 } });
        expect(seen[0]?.headers[TRACEPARENT_HEADER]).toBe(TRACEPARENT);
        expect(reply.headers[TRACEPARENT_HEADER]).toBe(TRACEPARENT);
      });

      it('lets a handler set reply headers', async () => {
        const bus = await connect();
        const subject = `h${uid()}.x`;
        bus.serve(subject, () => withHeaders(new Uint8Array([1]), { 'Acs-Status': 'ok' }));
        const reply = await bus.request(subject, {}, { timeoutMs: 2_000 });
        expect(reply.headers['Acs-Status']).toBe('ok');
        expect([...reply.data]).toEqual([1]);
      });

      it('answers a throwing handler with a typed INTERNAL error reply', async () => {
        const bus = await connect();
        const subject = `e${uid()}.x`;
        bus.serve(subject, () => {
          throw new Error('boom with secrets');
        });
        const reply = await bus.request(subject, {}, { timeoutMs: 2_000 });
        const parsed = parseErrorReply(json(reply));
        expect(parsed.ok && parsed.value.error.code).toBe('INTERNAL');
        expect(text(reply)).not.toContain('secrets');
      });

      it('rejects with BusTimeoutError when a listener never answers', async () => {
        const bus = await connect();
        const subject = `t${uid()}.x`;
        bus.subscribe(subject, () => {});
        const started = Date.now();
        const error = await bus.request(subject, {}, { timeoutMs: 250 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BusTimeoutError);
        expect((error as BusTimeoutError).code).toBe('TIMEOUT');
        expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      });

      it('rejects with NoRespondersError when nobody listens', async () => {
        const bus = await connect();
        const error = await bus.request(`n${uid()}.x`, {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NoRespondersError);
        expect((error as NoRespondersError).code).toBe('NO_RESPONDERS');
      });

      it('spreads requests over a queue group of responders', async () => {
        const [a, b, client] = await Promise.all([connect(), connect(), connect()]);
        const subject = `g${uid()}.x`;
        a.serve(subject, () => ({ by: 'a' }), { queue: 'svc' });
        b.serve(subject, () => ({ by: 'b' }), { queue: 'svc' });
        await Promise.all([a.flush(), b.flush()]);
        const replies = await Promise.all(Array.from({ length: 30 }, () => client.request(subject, {}, { timeoutMs: 2_000 })));
        const by = new Set(replies.map((r) => (json(r) as { by: string }).by));
        expect(by).toEqual(new Set(['a', 'b']));
      });

      it('serves a named service: each endpoint answers, replicas share the requests, stop() ends it', async () => {
        const [a, b, client] = await Promise.all([connect(), connect(), connect()]);
        const p = `svc${uid()}`;
        const service = { name: `svc-${uid()}`, version: '1.0.0', description: 'contract test' };
        const endpoints = (by: string) => [
          { name: 'echo', subject: `${p}.echo`, handler: (m: BusMessage) => ({ by, echo: json(m) }) },
          { name: 'fail', subject: `${p}.fail`, handler: () => Promise.reject(new Error('boom')) },
        ];
        const ha = await a.serveService(service, endpoints('a'));
        const hb = await b.serveService(service, endpoints('b'));
        await Promise.all([a.flush(), b.flush()]);
        const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => client.request(`${p}.echo`, { i }, { timeoutMs: 2_000 })));
        expect(replies.map((r) => (json(r) as { echo: { i: number } }).echo.i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
        expect(new Set(replies.map((r) => (json(r) as { by: string }).by))).toEqual(new Set(['a', 'b']));
        const failed = json(await client.request(`${p}.fail`, {}, { timeoutMs: 2_000 })) as { ok: boolean; error: { code: string } };
        expect(failed.ok).toBe(false);
        expect(failed.error.code).toBe('INTERNAL');
        await ha.stop();
        await hb.stop();
        const after = await client.request(`${p}.echo`, {}, { timeoutMs: 1_000 }).catch((e: unknown) => e);
        expect(after).toBeInstanceOf(NoRespondersError);
      });
    });

    describe('durable streams', () => {
      async function consumeInto(bus: Bus, def: StreamDefinition, durable: string, onMsg: (m: DurableMessage) => Promise<void> | void, ackWaitMs = 400, maxDeliver = 5, filterSubject?: string): Promise<Consumer> {
        return bus.consume(def.name, durable, onMsg, { ackWaitMs, maxDeliver, ...(filterSubject ? { filterSubject } : {}) });
      }

      it('a durable publish is also seen by plain subscribers of its subject', async () => {
        const [bus, watcher] = await Promise.all([connect(), connect()]);
        const def = streamDef('limits');
        await bus.ensureStreams([def]);
        const seen: BusMessage[] = [];
        watcher.subscribe(subjectOf(def, 'evt'), (m) => void seen.push(m));
        await watcher.flush();
        await bus.publishDurable(subjectOf(def, 'evt'), { n: 1 }, { msgId: `seen-${uid()}` });
        await waitFor(() => seen.length === 1, 'the core delivery of a durable publish');
        expect(json(seen[0] as BusMessage)).toEqual({ n: 1 });
      });

      it('ensureStreams is idempotent; publishDurable stores, consume delivers in order and ack settles', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        await bus.ensureStreams([def]);
        const seqs: number[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await bus.publishDurable(subjectOf(def, 'poke'), { i }, { msgId: `m${i}` });
          expect(r.duplicate).toBe(false);
          seqs.push(r.seq);
        }
        expect(seqs[1]).toBeGreaterThan(seqs[0] as number);
        const got: DurableMessage[] = [];
        await consumeInto(bus, def, 'worker', async (m) => {
          got.push(m);
          await m.ack();
        });
        await waitFor(() => got.length === 3, 'three messages');
        expect(got.map((m) => json(m))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
        expect(got.map((m) => m.seq)).toEqual(seqs);
        expect(got.every((m) => m.deliveryCount === 1 && m.stream === def.name)).toBe(true);
      });

      it('drops a duplicate msgId within the window', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        const subject = subjectOf(def, 'poke');
        const first = await bus.publishDurable(subject, { n: 1 }, { msgId: 'req-1' });
        const again = await bus.publishDurable(subject, { n: 2 }, { msgId: 'req-1' });
        await bus.publishDurable(subject, { n: 3 }, { msgId: 'req-2' });
        expect(again).toEqual({ duplicate: true, seq: first.seq });
        const got: unknown[] = [];
        await consumeInto(bus, def, 'worker', async (m) => {
          got.push(json(m));
          await m.ack();
        });
        await waitFor(() => got.length === 2, 'both distinct messages');
        expect(got).toEqual([{ n: 1 }, { n: 3 }]);
      });

      it('forgets a msgId once the duplicate window has passed', async () => {
        const bus = await connect();
        const def = { ...streamDef('limits'), duplicateWindowMs: 500 };
        await bus.ensureStreams([def]);
        const subject = subjectOf(def, 'poke');
        const started = Date.now();
        const first = await bus.publishDurable(subject, { n: 1 }, { msgId: 'req-1' });
        expect((await bus.publishDurable(subject, { n: 1 }, { msgId: 'req-1' })).duplicate).toBe(true);
        let later: { duplicate: boolean; seq: number } | undefined;
        const deadline = Date.now() + 10_000;
        while (!later || later.duplicate) {
          if (Date.now() > deadline) throw new Error('msgId still a duplicate 10 s after a 500 ms window');
          later = await bus.publishDurable(subject, { n: 1 }, { msgId: 'req-1' });
          if (later.duplicate) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(Date.now() - started).toBeGreaterThanOrEqual(450);
        expect(later.seq).toBeGreaterThan(first.seq);
      });

      it('carries headers (traceparent) through the stream', async () => {
        const bus = await connect();
        const def = streamDef('limits');
        await bus.ensureStreams([def]);
        await bus.publishDurable(subjectOf(def, 'x'), {}, { msgId: 'h1', headers: { [TRACEPARENT_HEADER]: TRACEPARENT } });
        const got: DurableMessage[] = [];
        await consumeInto(bus, def, 'reader', async (m) => {
          got.push(m);
          await m.ack();
        });
        await waitFor(() => got.length === 1, 'the message');
        expect(got[0]?.headers[TRACEPARENT_HEADER]).toBe(TRACEPARENT);
      });

      it('redelivers after nak, and after a throwing handler', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        const deliveries: Array<[number, number]> = [];
        await consumeInto(
          bus,
          def,
          'worker',
          async (m) => {
            deliveries.push([m.seq, m.deliveryCount]);
            const mode = (json(m) as { mode: string }).mode;
            if (m.deliveryCount === 1 && mode === 'nak') return m.nak();
            if (m.deliveryCount === 1 && mode === 'throw') throw new Error('handler failed');
            await m.ack();
          },
          5_000,
        );
        const nak = await bus.publishDurable(subjectOf(def, 'a'), { mode: 'nak' }, { msgId: 'a' });
        const thrown = await bus.publishDurable(subjectOf(def, 'b'), { mode: 'throw' }, { msgId: 'b' });
        // ackWait is 5 s: redelivery within the deadline can only come from nak, not from expiry.
        await waitFor(() => deliveries.length === 4, 'two deliveries of each', 4_000);
        expect(deliveries.filter(([s]) => s === nak.seq).map(([, d]) => d)).toEqual([1, 2]);
        expect(deliveries.filter(([s]) => s === thrown.seq).map(([, d]) => d)).toEqual([1, 2]);
      });

      it('redelivers after a delayed nak, not before the delay', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        const at: number[] = [];
        await consumeInto(
          bus,
          def,
          'worker',
          async (m) => {
            at.push(Date.now());
            if (m.deliveryCount === 1) return m.nak(300);
            await m.ack();
          },
          5_000,
        );
        await bus.publishDurable(subjectOf(def, 'a'), {}, { msgId: 'a' });
        await waitFor(() => at.length === 2, 'the redelivery', 4_000);
        expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(250);
      });

      it('redelivers an unacked message to another consumer of the same durable after ackWait', async () => {
        const [a, b] = await Promise.all([connect(), connect()]);
        const def = streamDef('workqueue');
        await a.ensureStreams([def]);
        const got: Array<{ who: string; seq: number; delivery: number; at: number }> = [];
        const handler = (who: string) => async (m: DurableMessage) => {
          got.push({ who, seq: m.seq, delivery: m.deliveryCount, at: Date.now() });
          if (m.deliveryCount > 1) await m.ack();
          // first delivery: never settled, as if the process died mid-work
        };
        const consumers = { a: await consumeInto(a, def, 'worker', handler('a'), 400), b: await consumeInto(b, def, 'worker', handler('b'), 400) };
        const { seq } = await a.publishDurable(subjectOf(def, 'job'), { job: 1 }, { msgId: 'job-1' });
        await waitFor(() => got.length === 1, 'the first delivery');
        const first = got[0] as (typeof got)[number];
        await consumers[first.who as 'a' | 'b'].stop();
        await waitFor(() => got.length === 2, 'the redelivery');
        const second = got[1] as (typeof got)[number];
        expect(second.who).not.toBe(first.who);
        expect(second.seq).toBe(seq);
        expect(second.delivery).toBe(2);
        expect(second.at - first.at).toBeGreaterThanOrEqual(350);
      });

      it('stops redelivering after maxDeliver', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        const deliveries = new Map<string, number[]>();
        await consumeInto(
          bus,
          def,
          'worker',
          (m) => {
            const key = (json(m) as { k: string }).k;
            deliveries.set(key, [...(deliveries.get(key) ?? []), m.deliveryCount]);
          },
          300,
          2,
        );
        const count = (k: string) => deliveries.get(k)?.length ?? 0;
        await bus.publishDurable(subjectOf(def, 'x'), { k: 'a' }, { msgId: 'a' });
        await waitFor(() => count('a') === 2, 'a delivered twice');
        // A third delivery of `a` would come one ackWait after its second; b's second delivery comes one
        // ackWait after b's first, and c's one ackWait later still: by then `a` has had ample time.
        await bus.publishDurable(subjectOf(def, 'x'), { k: 'b' }, { msgId: 'b' });
        await waitFor(() => count('b') === 2, 'b delivered twice');
        await bus.publishDurable(subjectOf(def, 'x'), { k: 'c' }, { msgId: 'c' });
        await waitFor(() => count('c') === 2, 'c delivered twice');
        expect(deliveries.get('a')).toEqual([1, 2]);
        expect(deliveries.get('b')).toEqual([1, 2]);
      });

      it('shares one durable between consumers: every message processed once, by both', async () => {
        const [a, b, pub] = await Promise.all([connect(), connect(), connect()]);
        const def = streamDef('workqueue');
        await pub.ensureStreams([def]);
        const byWho: Record<'a' | 'b', number[]> = { a: [], b: [] };
        const handler = (who: 'a' | 'b') => async (m: DurableMessage) => {
          byWho[who].push((json(m) as { i: number }).i);
          const other = who === 'a' ? 'b' : 'a';
          // Hold the first message until the other consumer got work too: proves the work is shared.
          if (byWho[who].length === 1) await waitFor(() => byWho[other].length > 0, `consumer ${other} to get work`);
          await m.ack();
        };
        await consumeInto(a, def, 'worker', handler('a'), 10_000);
        await consumeInto(b, def, 'worker', handler('b'), 10_000);
        const total = 12;
        for (let i = 0; i < total; i++) await pub.publishDurable(subjectOf(def, 'job'), { i }, { msgId: `j${i}` });
        await waitFor(() => byWho.a.length + byWho.b.length === total, 'all jobs');
        expect([...byWho.a, ...byWho.b].sort((x, y) => x - y)).toEqual([...Array(total).keys()]);
      });

      it('never redelivers an acked message to a later consumer of the same durable', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        const first: unknown[] = [];
        const c1 = await consumeInto(bus, def, 'worker', async (m) => {
          first.push(json(m));
          await m.ack();
        });
        await bus.publishDurable(subjectOf(def, 'x'), { i: 1 }, { msgId: '1' });
        await waitFor(() => first.length === 1, 'the first message');
        await c1.stop();
        const later: unknown[] = [];
        await consumeInto(bus, def, 'worker', async (m) => {
          later.push(json(m));
          await m.ack();
        });
        await bus.publishDurable(subjectOf(def, 'x'), { i: 2 }, { msgId: '2' });
        await waitFor(() => later.length >= 1, 'the second message');
        expect(later).toEqual([{ i: 2 }]);
      });

      it('filters a consumer by subject', async () => {
        const bus = await connect();
        const def = streamDef('workqueue');
        await bus.ensureStreams([def]);
        const http: string[] = [];
        const udp: string[] = [];
        const record = (into: string[]) => async (m: DurableMessage) => {
          into.push(m.subject);
          await m.ack();
        };
        await consumeInto(bus, def, 'http', record(http), 400, 5, subjectOf(def, 'connreq.http'));
        await consumeInto(bus, def, 'udp', record(udp), 400, 5, subjectOf(def, 'connreq.udp'));
        await bus.publishDurable(subjectOf(def, 'connreq.http'), {}, { msgId: '1' });
        await bus.publishDurable(subjectOf(def, 'connreq.udp'), {}, { msgId: '2' });
        await bus.publishDurable(subjectOf(def, 'connreq.http'), {}, { msgId: '3' });
        await waitFor(() => http.length === 2 && udp.length === 1, 'both filtered consumers');
        expect(http).toEqual([subjectOf(def, 'connreq.http'), subjectOf(def, 'connreq.http')]);
        expect(udp).toEqual([subjectOf(def, 'connreq.udp')]);
      });

      it('gives every durable of a limits stream its own copy', async () => {
        const bus = await connect();
        const def = streamDef('limits');
        await bus.ensureStreams([def]);
        await bus.publishDurable(subjectOf(def, 'evt'), { e: 1 }, { msgId: 'e1' });
        const x: unknown[] = [];
        const y: unknown[] = [];
        const record = (into: unknown[]) => async (m: DurableMessage) => {
          into.push(json(m));
          await m.ack();
        };
        await consumeInto(bus, def, 'audit', record(x));
        await consumeInto(bus, def, 'metrics', record(y));
        await waitFor(() => x.length === 1 && y.length === 1, 'both durables');
        expect([x, y]).toEqual([[{ e: 1 }], [{ e: 1 }]]);
      });

      it('runs the ACS streams: poke dedup by requestId, one durable per command, events by device', async () => {
        const bus = await connect();
        const s = createSubjects(`t${uid()}.acs`);
        const defs = Object.values(s.streams);
        await bus.ensureStreams(defs);
        await bus.ensureStreams(defs);
        const pokes: unknown[] = [];
        const http: string[] = [];
        const opts = { ackWaitMs: 2_000, maxDeliver: 3 };
        await bus.consume(
          s.streams.commands.name,
          DURABLE_CONSUMERS.poke,
          async (m) => {
            const r = decodePayload(m.data, parsePokeCommand);
            pokes.push(r.ok ? r.value : r.error.code);
            await m.ack();
          },
          { ...opts, filterSubject: s.cmd.poke },
        );
        await bus.consume(
          s.streams.commands.name,
          DURABLE_CONSUMERS.connreqHttp,
          async (m) => {
            http.push(m.subject);
            await m.ack();
          },
          { ...opts, filterSubject: s.cmd.connreq.http },
        );
        // Work-queue streams take one durable per subject: a catch-all consumer would steal the others' work.
        await expect(bus.consume(s.streams.commands.name, 'everything', () => {}, opts)).rejects.toBeInstanceOf(BusConfigError);

        const poke = { deviceId: 'OUI-PC-SN', requestId: 'req-42' };
        expect((await bus.publishDurable(s.cmd.poke, poke, { msgId: poke.requestId })).duplicate).toBe(false);
        expect((await bus.publishDurable(s.cmd.poke, poke, { msgId: poke.requestId })).duplicate).toBe(true);
        await bus.publishDurable(s.cmd.poke, { deviceId: 'x' }, { msgId: 'bad-1' });
        await bus.publishDurable(s.cmd.connreq.http, {}, { msgId: 'c1' });
        await waitFor(() => pokes.length === 2 && http.length === 1, 'the poke, the bad poke and the connreq command');
        expect(pokes).toEqual([poke, 'INVALID_PAYLOAD']);
        expect(http).toEqual([s.cmd.connreq.http]);

        const hostile = 'OUI-Prod.Class *>-SN é';
        await bus.publishDurable(s.evt.inform(hostile), {}, { msgId: 'i1' });
        await bus.publishDurable(s.evt.sessionEnded(hostile), {}, { msgId: 's1' });
        const informs: unknown[] = [];
        await bus.consume(
          s.streams.events.name,
          'audit',
          async (m) => {
            informs.push(s.parse(m.subject));
            await m.ack();
          },
          { ...opts, filterSubject: s.evt.allInforms },
        );
        await waitFor(() => informs.length === 1, 'the inform event');
        expect(informs).toEqual([{ kind: 'inform', deviceId: hostile }]);
      });

      it('reports a missing stream with StreamNotFoundError', async () => {
        const bus = await connect();
        await expect(bus.publishDurable(`nostream${uid()}.x`, {}, { msgId: '1' })).rejects.toBeInstanceOf(StreamNotFoundError);
        await expect(bus.consume(`NOSTREAM_${uid()}`.toUpperCase(), 'd', () => {}, { ackWaitMs: 400, maxDeliver: 2 })).rejects.toBeInstanceOf(
          StreamNotFoundError,
        );
      });
    });

    describe('lifecycle', () => {
      it('throws BusClosedError after close', async () => {
        const bus = await connect();
        await bus.close();
        expect(() => bus.publish('x.y', {})).toThrow(BusClosedError);
        await expect(bus.request('x.y', {}, { timeoutMs: 100 })).rejects.toBeInstanceOf(BusClosedError);
      });

      it('drain lets an in-flight handler finish', async () => {
        const [bus, pub] = await Promise.all([connect(), connect()]);
        const subject = `d${uid()}.x`;
        let finished = false;
        let started = false;
        let draining = false;
        bus.subscribe(subject, async () => {
          started = true;
          await waitFor(() => draining, 'drain to start');
          finished = true;
        });
        await bus.flush();
        pub.publish(subject, {});
        await waitFor(() => started, 'the handler to start');
        const drained = bus.drain();
        draining = true;
        await drained;
        expect(finished).toBe(true);
      });
    });

    const restartServer = options.restartServer;
    if (restartServer) {
      describe('server restart', () => {
        it('keeps consumers and subscriptions working across a server restart, losing no acked message', async () => {
          const timeoutMs = options.restartTimeoutMs ?? 20_000;
          const [worker, pub] = await Promise.all([connect(), connect()]);
          const def = streamDef('workqueue');
          await pub.ensureStreams([def]);
          const acked = new Set<number>();
          let restarted = false;
          let heldDeliveries = 0;
          const HELD = 100;
          await worker.consume(
            def.name,
            'worker',
            async (m) => {
              const n = (json(m) as { i: number }).i;
              // One job stays in flight (delivered, never acked) until the server has restarted.
              if (n === HELD && !restarted) {
                heldDeliveries += 1;
                return;
              }
              await m.ack();
              acked.add(n);
            },
            { ackWaitMs: 500, maxDeliver: 50 },
          );
          const live: number[] = [];
          const subject = `live${uid()}.x`;
          worker.subscribe(subject, (m) => void live.push((json(m) as { i: number }).i));
          await worker.flush();
          for (let i = 0; i < 5; i++) await pub.publishDurable(subjectOf(def, 'job'), { i }, { msgId: `j${i}` });
          await pub.publishDurable(subjectOf(def, 'job'), { i: HELD }, { msgId: 'held' });
          await waitFor(() => acked.size === 5 && heldDeliveries > 0, 'jobs before the restart');

          await restartServer();
          restarted = true;

          for (let i = 5; i < 10; i++) await pub.publishDurable(subjectOf(def, 'job'), { i }, { msgId: `j${i}` });
          await waitFor(() => acked.size === 11, 'jobs after the restart, and the one in flight', timeoutMs);
          expect([...acked].sort((x, y) => x - y)).toEqual([...Array(10).keys(), HELD]);

          // Core subscriptions are re-established by the client after it reconnects.
          await waitFor(
            () => {
              pub.publish(subject, { i: live.length });
              return live.length > 0;
            },
            'a core message after the restart',
            timeoutMs,
          );
          expect(live[0]).toBe(0);
        });
      });
    }
  });
}
