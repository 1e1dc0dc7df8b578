// @xmpp/* 0.14 ship no type declarations; these cover only what this service touches.

declare module '@xmpp/xml' {
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }
  type Child = Element | string | undefined;
  interface Xml {
    (name: string, attrs?: Record<string, string | undefined>, ...children: (Child | Child[])[]): Element;
    Element: abstract new (...args: never[]) => Element;
  }
  const xml: Xml;
  export default xml;
}

declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';

  export type TransportClass = abstract new (...args: never[]) => object;

  export interface ClientOptions {
    service: string;
    domain: string;
    lang?: string;
    /** Stream open/close timeout (ms). */
    timeout?: number;
  }

  export class Client extends EventEmitter {
    constructor(options: ClientOptions);
    transports: TransportClass[];
    status: string;
    jid: { toString(): string; bare(): { toString(): string } } | null;
    options: ClientOptions;
    socket: unknown;
    timeout: number;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    isSecure(): boolean;
    restart(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    _attachSocket(socket: unknown): void;
  }

  export function jid(local: string, domain: string, resource?: string): { toString(): string; bare(): { toString(): string } };
}

declare module '@xmpp/tcp' {
  import type { Client } from '@xmpp/client-core';
  export default function tcp(deps: { entity: Client }): void;
}

declare module '@xmpp/tls/lib/Connection.js' {
  export default class ConnectionTLS {
    socketParameters(service: string): Record<string, unknown> | undefined;
  }
}

declare module '@xmpp/starttls/starttls.js' {
  import type { ConnectionOptions } from 'node:tls';
  export function canUpgrade(socket: unknown): boolean;
  export function upgrade(socket: unknown, options: ConnectionOptions): Promise<unknown>;
}

declare module '@xmpp/middleware' {
  import type { Client } from '@xmpp/client-core';
  import type { Element } from '@xmpp/xml';
  export interface Context {
    entity: Client;
    stanza: Element;
    name: string;
    type: string | undefined;
    id: string | undefined;
    from: unknown;
    element?: Element;
  }
  export type Next = () => Promise<unknown>;
  export type Handler = (ctx: Context, next: Next) => unknown;
  export interface Middleware {
    use(fn: Handler): Handler;
  }
  export default function middleware(deps: { entity: Client }): Middleware;
}

declare module '@xmpp/stream-features' {
  import type { Context, Middleware, Next } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface StreamFeatures {
    use(name: string, xmlns: string, handler: (ctx: Context, next: Next, feature: Element) => unknown): void;
  }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Client } from '@xmpp/client-core';
  import type { Middleware } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface IqCaller {
    /** Resolves with the `result` IQ; rejects with a StanzaError (`condition`, `element`) or a TimeoutError. */
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
  }
  export default function iqCaller(deps: { middleware: Middleware; entity: Client }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  import type { Client } from '@xmpp/client-core';
  import type { Context, Middleware } from '@xmpp/middleware';
  export interface IqCallee {
    get(xmlns: string, name: string, handler: (ctx: Context & { element: NonNullable<Context['element']> }) => unknown): void;
    set(xmlns: string, name: string, handler: (ctx: Context & { element: NonNullable<Context['element']> }) => unknown): void;
  }
  export default function iqCallee(deps: { middleware: Middleware; entity: Client }): IqCallee;
}

declare module 'saslmechanisms' {
  export default class SASLFactory {
    use(mechanism: unknown): this;
  }
}

declare module '@xmpp/sasl' {
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type SASLFactory from 'saslmechanisms';
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export default function sasl(
    deps: { streamFeatures: StreamFeatures; saslFactory: SASLFactory },
    onAuthenticate: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>,
  ): void;
}

declare module '@xmpp/sasl-scram-sha-1' {
  import type SASLFactory from 'saslmechanisms';
  export default function scramSha1(factory: SASLFactory): void;
}

declare module '@xmpp/sasl-plain' {
  import type SASLFactory from 'saslmechanisms';
  export default function plain(factory: SASLFactory): void;
}

declare module '@xmpp/resource-binding' {
  import type { IqCaller } from '@xmpp/iq/caller.js';
  import type { StreamFeatures } from '@xmpp/stream-features';
  export default function resourceBinding(deps: { streamFeatures: StreamFeatures; iqCaller: IqCaller }, resource: string): void;
}
