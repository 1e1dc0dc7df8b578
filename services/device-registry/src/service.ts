import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceHandle } from '@acs/bus';
import { closeServer, listen, urlOf, type ListenOptions } from '@acs/service';
import type { RegistryDeps, RegistryPolicy } from './deps.js';
import { API_PREFIX } from './nbi/openapi.js';
import { createNbi, ensureAdminToken, type TokenStore } from './nbi/index.js';
import { createRegistry, type Registry } from './registry.js';
import { createPokeRouter, type PokeRouterOptions } from './router/poke-router.js';
import { createStunBindingConsumer, type StunBindingConsumer } from './stun/binding-consumer.js';
import { busStunCredentials } from './stun/credentials.js';

/** The adapters the unit runs on (the caller's: it closes them after stop()). */
export type RegistryServiceDeps = Pick<RegistryDeps, 'store' | 'bus' | 'subjects' | 'secretBox' | 'logger' | 'xmppAccounts' | 'stunCredentials'> & {
  /** Where NBI tokens created at run time are kept. */
  readonly tokens: TokenStore;
};

export interface RegistryServiceSettings {
  /** Must equal the gateway's CWMP_AUTH_REALM: stored HA1 values are bound to it. */
  readonly realm: string;
  readonly policy?: Partial<RegistryPolicy>;
  /** A catch-all device type admitting any CPE that presents these. */
  readonly onboarding?: { readonly username: string; readonly password: string };
  /** ACS_NBI_TOKEN; unset: an admin token is created on the first start (with no admin token stored) and returned. */
  readonly adminToken?: string;
  readonly nbi: ListenOptions;
  /** Connection-request transports whose workers run in this deployment (the poke router plans no other). */
  readonly transports: PokeRouterOptions['transports'];
  /** How long stop() lets NBI requests in flight finish before it closes their connections (default 5 s). */
  readonly drainTimeoutMs?: number;
}

export interface RegistryStarted {
  /** e.g. http://127.0.0.1:7557/api/v1 */
  readonly nbiUrl: string;
  readonly address: AddressInfo;
  /** Set only on the start that created it: show it once, it is stored hashed. */
  readonly adminToken?: string;
}

export interface RegistryService {
  /** The domain logic; the all-in-one's gateway calls it in-process. */
  readonly registry: Registry;
  /** Streams, onboarding type, bus endpoints, poke router (and STUN bindings with udp), admin token, NBI listener, in that order. */
  start(): Promise<RegistryStarted>;
  /** NBI closed (requests in flight answered), endpoints and router stopped; once, however often called. */
  stop(): Promise<void>;
}

/**
 * The device registry as one unit: its bus endpoints, the poke router and the NBI on an HTTP listener. With `udp`
 * among the transports it also provisions STUN (credentials from connreq-stun over the bus unless given) and stores
 * connreq-stun's binding events; without, it does neither (no one would issue credentials or announce bindings).
 */
export function createRegistryService(deps: RegistryServiceDeps, settings: RegistryServiceSettings): RegistryService {
  const { store, bus, subjects, secretBox, logger, tokens } = deps;
  const xmpp = deps.xmppAccounts === undefined ? {} : { xmppAccounts: deps.xmppAccounts };
  const udp = settings.transports.includes('udp');
  const stun = udp ? { stunCredentials: deps.stunCredentials ?? busStunCredentials(bus, subjects) } : {};
  const registry = createRegistry({ store, bus, subjects, secretBox, realm: settings.realm, logger, ...xmpp, ...stun, ...(settings.policy ? { policy: settings.policy } : {}) });
  const bindings: StunBindingConsumer | undefined = udp ? createStunBindingConsumer({ store, bus, subjects, logger }) : undefined;
  // Every replica routes pokes: they share the durable `registry-poke` consumer of the command stream.
  const router = createPokeRouter({ store, bus, subjects, secretBox, logger, transports: settings.transports });
  const admin = settings.adminToken === undefined ? {} : { adminToken: settings.adminToken };
  const nbi = createNbi({ store, tokens, secretBox, realm: settings.realm, logger, bus, subjects, ...xmpp, ...admin });
  let server: Server | undefined;
  let endpoints: ServiceHandle | undefined;
  let stopping: Promise<void> | undefined;
  return {
    registry,
    async start() {
      await bus.ensureStreams([subjects.streams.events, subjects.streams.commands, subjects.streams.deadLetters]);
      if (settings.onboarding) await registry.ensureCatchAllType(settings.onboarding.username, settings.onboarding.password);
      endpoints = await registry.registerEndpoints();
      await router.start();
      await bindings?.start();
      // The endpoints' subscriptions reach the server before anyone is told the registry is up.
      await bus.flush();
      const bootstrap = await ensureAdminToken(tokens, settings.adminToken);
      server = createServer(nbi);
      const address = await listen(server, settings.nbi);
      return { nbiUrl: urlOf(address, API_PREFIX), address, ...(bootstrap.token === undefined ? {} : { adminToken: bootstrap.token }) };
    },
    stop() {
      stopping ??= (async () => {
        if (server) await closeServer(server, settings.drainTimeoutMs);
        // NBI requests have finished; what the endpoints and the router hold in flight finishes before the caller closes the store.
        await endpoints?.stop().catch((err: unknown) => logger.warn({ err }, 'registry endpoints stop failed'));
        await router.stop().catch((err: unknown) => logger.warn({ err }, 'poke router stop failed'));
        await bindings?.stop().catch((err: unknown) => logger.warn({ err }, 'STUN binding consumer stop failed'));
      })();
      return stopping;
    },
  };
}
