// The registry's reader of connreq-stun's `evt.stun.<id>.binding`: every replica joins the durable
// `registry-stun-bindings`, so each binding is stored once, as the device's UDP connection-request address.
import { isIPv6 } from 'node:net';
import { consumeBounded, deadLetter, type BoundedConsumer, type Bus, type DurableMessage } from '@acs/bus';
import { DURABLE_CONSUMERS, decodePayload, parseStunBindingEvent, type StunBindingEvent, type Subjects } from '@acs/contracts';
import type { Logger } from '@acs/telemetry';
import type { DeviceRecords } from '../store/device-store.js';
import type { EpochMs } from '../store/types.js';

export type BindingStore = Pick<DeviceRecords, 'getDevice' | 'upsertDevice'>;

export interface StunBindingConsumerOptions {
  readonly store: BindingStore;
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly logger: Logger;
  readonly clock?: () => EpochMs;
  /** Default 30 s: a binding is one device read and one write. */
  readonly ackWaitMs?: number;
  /** Default 5; a binding the store refused that often is left behind (the next Inform or binding corrects it). */
  readonly maxDeliver?: number;
  /** Default 8. */
  readonly concurrency?: number;
  /** Pause before a binding whose write failed is delivered again (default 1 s). */
  readonly retryDelayMs?: number;
}

export interface StunBindingConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `host:port` as TR-111's UDPConnectionRequestAddress writes it: IPv6 in brackets. */
export function udpAddressOf(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createStunBindingConsumer(options: StunBindingConsumerOptions): StunBindingConsumer {
  const { store, bus, subjects, logger } = options;
  const clock = options.clock ?? Date.now;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  // Bindings of devices deleted or never known, logged once each per process (connreq-stun keeps sending them).
  const unknownLogged = new Set<string>();
  let consumer: BoundedConsumer | undefined;
  // One device's bindings are written one after the other on this replica: its read-check-write would otherwise let
  // an older binding that was read first be written last.
  const perDevice = new Map<string, Promise<unknown>>();
  const serially = <T>(deviceId: string, work: () => Promise<T>): Promise<T> => {
    const run = (perDevice.get(deviceId) ?? Promise.resolve()).catch(() => undefined).then(work);
    perDevice.set(deviceId, run);
    void run.finally(() => perDevice.get(deviceId) === run && perDevice.delete(deviceId)).catch(() => undefined);
    return run;
  };

  async function record(event: StunBindingEvent): Promise<'stored' | 'stale' | 'unknown'> {
    const device = await store.getDevice(event.deviceId);
    if (device === null) return 'unknown';
    const observedAt = Date.parse(event.observedAt);
    // An event older than what the registry already heard (a replay when the durable is first created, or a late
    // redelivery) would put an old address back.
    const seenAt = device.connectionRequest.udpConnectionRequestAddressSeenAt;
    if (seenAt !== null && observedAt < seenAt) return 'stale';
    const address = udpAddressOf(event.host, event.port);
    await store.upsertDevice(
      {
        id: device.id,
        oui: device.oui,
        productClass: device.productClass,
        serialNumber: device.serialNumber,
        // natDetected stays what the CPE reports: connreq-stun sees the mapped address, not the CPE's local one.
        connectionRequest: { udpConnectionRequestAddress: address, udpConnectionRequestAddressSeenAt: observedAt },
      },
      clock(),
    );
    return 'stored';
  }

  async function handle(msg: DurableMessage): Promise<void> {
    const parsed = decodePayload(msg.data, parseStunBindingEvent, 'StunBindingEvent');
    const reject = async (message: string, issues?: { path: (string | number)[]; message: string; code: string }[]) => {
      await deadLetter(bus, subjects, msg, { message, ...(issues ? { issues } : {}), receivedAt: new Date(clock()) });
      logger.warn({ subject: msg.subject, seq: msg.seq, reason: message }, 'invalid STUN binding dead-lettered');
    };
    if (!parsed.ok) return reject(parsed.error.message, parsed.error.issues.map((i) => ({ ...i, path: [...i.path] })));
    const event = parsed.value;
    const about = subjects.parse(msg.subject);
    // The subject names the device too; one that disagrees with the payload is a publisher's bug, not a binding.
    if (about?.kind !== 'stun.binding' || about.deviceId !== event.deviceId) return reject(`subject ${msg.subject} is not the binding subject of ${event.deviceId}`);
    try {
      const outcome = await serially(event.deviceId, () => record(event));
      if (outcome === 'unknown' && !unknownLogged.has(event.deviceId)) {
        if (unknownLogged.size > 10_000) unknownLogged.clear();
        unknownLogged.add(event.deviceId);
        logger.info({ deviceId: event.deviceId }, 'STUN binding of an unknown device ignored');
      } else if (outcome !== 'unknown') {
        logger.debug({ deviceId: event.deviceId, host: event.host, port: event.port, reason: event.reason, outcome }, 'STUN binding');
      }
    } catch (err) {
      logger.warn({ err, deviceId: event.deviceId, deliveryCount: msg.deliveryCount }, 'STUN binding not stored; it will be delivered again');
      await msg.nak(retryDelayMs).catch(() => undefined);
      return;
    }
    await msg.ack();
  }

  return {
    async start() {
      await bus.ensureStreams([subjects.streams.events, subjects.streams.deadLetters]);
      consumer = await consumeBounded(bus, subjects.streams.events.name, DURABLE_CONSUMERS.stunBindings, handle, {
        filterSubject: subjects.evt.allStunBindings,
        ackWaitMs: options.ackWaitMs ?? 30_000,
        maxDeliver: options.maxDeliver ?? 5,
        concurrency: options.concurrency ?? 8,
        now: clock,
        onError: (err, msg) => logger.error({ err, subject: msg.subject, seq: msg.seq }, 'STUN binding handler failed'),
      });
    },
    async stop() {
      await consumer?.stop();
      consumer = undefined;
    },
  };
}
