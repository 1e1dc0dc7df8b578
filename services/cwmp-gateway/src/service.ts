import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kv } from '@acs/kv';
import { closeServer, listen, urlOf, type ListenOptions } from '@acs/service';
import { createGateway, type Gateway, type GatewayDeps, type GatewaySettings } from './gateway.js';
import { createCwmpServer } from './server.js';

/** The gateway's deps with the kv stores as one port (its sessions, device locks and login counters). */
export type GatewayServiceDeps = Omit<GatewayDeps, 'settings' | 'sessions' | 'locks' | 'rateLimiter'> & { readonly kv: Omit<Kv, 'close'> };

export interface GatewayServiceSettings {
  readonly gateway: GatewaySettings;
  readonly listen: ListenOptions;
  /** PEM files: native TLS (Basic auth becomes acceptable); unset: plain HTTP. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** How long stop() lets requests in flight finish before it closes their connections (default 5 s). */
  readonly drainTimeoutMs?: number;
}

export interface GatewayService {
  readonly gateway: Gateway;
  /** Listens; `url` is the CWMP endpoint with the bound port. */
  start(): Promise<{ readonly url: string; readonly address: AddressInfo; readonly tls: boolean }>;
  /** /readyz turns 503, the listener stops taking connections and closes them once idle; once, however often called. */
  stop(): Promise<void>;
}

/**
 * The gateway as one unit: its express app on an HTTP(S) listener. The adapters in `deps` (bus, kv, registry
 * client) are the caller's: the separate service passes NATS and Redis, the all-in-one app the embedded ones, and
 * each closes its own after stop().
 */
export function createGatewayService({ kv, ...deps }: GatewayServiceDeps, settings: GatewayServiceSettings): GatewayService {
  const gateway = createGateway({ ...deps, sessions: kv.sessions, locks: kv.locks, rateLimiter: kv.rateLimiter, settings: settings.gateway });
  const tls = settings.tls !== undefined;
  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  return {
    gateway,
    async start() {
      // Created here, not in the factory: reading the PEM files may fail, and start() is where failures belong.
      server = createCwmpServer(gateway.app, {
        ...(settings.tls ? { tlsCertFile: settings.tls.certFile, tlsKeyFile: settings.tls.keyFile } : {}),
        keepAliveTimeoutMs: settings.gateway.sessionTimeoutMs,
      });
      const address = await listen(server, settings.listen);
      return { url: urlOf(address, settings.gateway.path, tls ? 'https' : 'http'), address, tls };
    },
    stop() {
      stopping ??= (async () => {
        await gateway.close();
        // Sessions live in the kv store: an unfinished one continues on another replica, so stop taking requests and go.
        if (server) await closeServer(server, settings.drainTimeoutMs);
      })();
      return stopping;
    },
  };
}
