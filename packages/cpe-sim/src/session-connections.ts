import { Client, Dispatcher } from 'undici';

/**
 * The connections of one CWMP session: a single undici Client per origin (the ACS, and whatever it
 * redirects to), so every request of the session goes over one socket, as on a real CPE. A Client
 * reconnects by itself when the server closes the socket (`Connection: close`).
 *
 * Not an `Agent({ connections: 1 })`: undici 7's Agent closes an origin's Client when its socket
 * disconnects even though a request is already queued on it, and the next request then opens a
 * second connection (nodejs/undici#5034).
 */
export class SessionConnections extends Dispatcher {
  readonly #clients = new Map<string, Client>();

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin);
    let client = this.#clients.get(origin);
    if (!client) {
      client = new Client(origin);
      this.#clients.set(origin, client);
    }
    return client.dispatch(options, handler);
  }

  /** Ends the session: waits for requests in flight, then closes the sockets. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const closed = Promise.all([...this.#clients.values()].map((c) => c.close())).then(() => undefined);
    if (!callback) return closed;
    void closed.then(callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const destroyed = Promise.all([...this.#clients.values()].map((c) => c.destroy(err))).then(() => undefined);
    if (!callback) return destroyed;
    void destroyed.then(callback);
  }
}
