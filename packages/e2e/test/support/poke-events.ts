import { randomBytes } from 'node:crypto';
import type { Bus } from '@acs/bus';
import { decodePayload, parseConnreqEvent, parseSessionStartedEvent, type ConnreqEvent, type SessionStartedEvent, type Subjects } from '@acs/contracts';
import { BusRegistryClient, createGatewayService, DEFAULT_SETTINGS, type GatewayService } from '@acs/cwmp-gateway';
import type { Kv } from '@acs/kv';
import type { Logger } from '@acs/telemetry';

/** What the poke tests watch: every connreq event by requestId, every session.started, in arrival order. */
export interface PokeEvents {
  readonly connreq: Map<string, ConnreqEvent>;
  readonly started: SessionStartedEvent[];
  stop(): Promise<void>;
}

/** Subscribes `bus` to every event under `subjects` and keeps the poke outcomes and session starts. */
export async function watchPokeEvents(bus: Bus, subjects: Subjects): Promise<PokeEvents> {
  const connreq = new Map<string, ConnreqEvent>();
  const started: SessionStartedEvent[] = [];
  const subscription = bus.subscribe(subjects.evt.all, (msg) => {
    const kind = subjects.parse(msg.subject)?.kind;
    if (kind === 'connreq') {
      const e = decodePayload(msg.data, parseConnreqEvent);
      if (e.ok) connreq.set(e.value.requestId, e.value);
    } else if (kind === 'session.started') {
      const e = decodePayload(msg.data, parseSessionStartedEvent);
      if (e.ok) started.push(e.value);
    }
  });
  await bus.flush();
  return { connreq, started, stop: () => subscription.unsubscribe() };
}

/** A gateway unit on loopback over `bus` and `kv`, with its registry reached over the bus. Resolves with its CWMP URL. */
export async function startBusGateway(deps: { bus: Bus; kv: Kv; subjects: Subjects; logger: Logger }): Promise<{ gateway: GatewayService; cwmpUrl: string }> {
  const { bus, kv, subjects, logger } = deps;
  const gateway = createGatewayService(
    { kv, bus, subjects, logger, registry: new BusRegistryClient({ bus, subjects, timeoutMs: 15_000 }) },
    { gateway: { ...DEFAULT_SETTINGS, nonceSecret: randomBytes(32).toString('base64url') }, listen: { host: '127.0.0.1', port: 0 } },
  );
  return { gateway, cwmpUrl: (await gateway.start()).url };
}
