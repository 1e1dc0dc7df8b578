import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

export interface CwmpServerOptions {
  /** PEM files; both set: native TLS (Basic auth becomes acceptable), neither: plain HTTP. */
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  /** How long an idle kept-alive connection stays open: a session idles while the CPE works on our request. */
  readonly keepAliveTimeoutMs: number;
}

/** The HTTP or HTTPS server for the gateway's express app (not listening yet). */
export function createCwmpServer(app: RequestListener, options: CwmpServerOptions): Server {
  const server: Server =
    options.tlsCertFile !== undefined && options.tlsKeyFile !== undefined
      ? createHttpsServer({ cert: readFileSync(options.tlsCertFile), key: readFileSync(options.tlsKeyFile) }, app)
      : createHttpServer(app);
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  return server;
}
