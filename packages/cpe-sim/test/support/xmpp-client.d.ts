// @xmpp/client 0.14 ships no type declarations: only what the tests' ACS side touches.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/client-core';

  export type { Element } from '@xmpp/client-core';
  export type Transport = abstract new (...args: never[]) => object;

  export interface Client extends EventEmitter {
    transports: Transport[];
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    iqCaller: { request(stanza: Element, timeoutMs?: number): Promise<Element> };
    reconnect: { stop(): void };
  }

  export function client(options: { service: string; domain: string; resource?: string; username?: string; password?: string }): Client;
  export { xml } from '@xmpp/client-core';
}
