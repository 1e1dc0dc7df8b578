// @xmpp/client 0.14 ships no type declarations; this covers only what the smoke test touches.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    toString(): string;
  }

  export interface IqContext {
    stanza: Element;
    element: Element;
    from: string;
  }

  export interface Jid {
    toString(): string;
  }

  export type Transport = abstract new (...args: never[]) => object;

  export interface Client extends EventEmitter {
    transports: Transport[];
    start(): Promise<Jid>;
    stop(): Promise<void>;
    iqCaller: {
      request(stanza: Element, timeoutMs?: number): Promise<Element>;
    };
    iqCallee: {
      get(xmlns: string, name: string, handler: (ctx: IqContext) => unknown): void;
      set(xmlns: string, name: string, handler: (ctx: IqContext) => unknown): void;
    };
    reconnect: { stop(): void };
  }

  export interface ClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
    timeout?: number;
  }

  export function client(options: ClientOptions): Client;
  export function xml(name: string, attrs?: Record<string, string>, ...children: (Element | string)[]): Element;
}
