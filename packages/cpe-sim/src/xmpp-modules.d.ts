// Minimal typings for the @xmpp 0.14 pieces (they ship none): only what the simulator's XMPP client uses.
declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    text(): string;
    toString(): string;
  }

  export interface Jid {
    local: string;
    domain: string;
    resource: string;
    toString(): string;
  }

  export interface ClientOptions {
    service: string;
    domain: string;
    /** Stream open/close timeout in ms. */
    timeout?: number;
  }

  /** The XML stream: `status` walks offline → connecting → ... → online → disconnect → offline. */
  export class Client extends EventEmitter {
    constructor(options: ClientOptions);
    transports: unknown[];
    jid: Jid | null;
    status: string;
    /** The transport socket: node's net.Socket before STARTTLS, @xmpp/tls's wrapper after. */
    socket: unknown;
    start(): Promise<Jid>;
    stop(): Promise<unknown>;
    restart(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeoutMs?: number): Promise<Element>;
    isSecure(): boolean;
    _attachSocket(socket: unknown): void;
  }

  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string)[]): Element;
}

declare module '@xmpp/tcp' {
  import type { Client } from '@xmpp/client-core';
  /** Registers the `xmpp://host:port` transport (port 5222 by default). */
  export default function tcp(deps: { entity: Client }): void;
}

declare module '@xmpp/middleware' {
  import type { Client, Element } from '@xmpp/client-core';
  export interface IncomingContext {
    entity: Client;
    stanza: Element;
    /** The IQ's payload child (set by the iq callee). */
    element: Element;
  }
  export type Next = () => Promise<unknown>;
  export interface Middleware {
    use(fn: (ctx: IncomingContext, next: Next) => unknown): unknown;
  }
  export default function middleware(deps: { entity: Client }): Middleware;
}

declare module '@xmpp/stream-features' {
  import type { Element } from '@xmpp/client-core';
  import type { IncomingContext, Middleware, Next } from '@xmpp/middleware';
  export interface StreamFeatures {
    use(name: string, xmlns: string, handler: (ctx: IncomingContext, next: Next, feature: Element) => Promise<unknown>): unknown;
  }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Client, Element } from '@xmpp/client-core';
  import type { Middleware } from '@xmpp/middleware';
  export interface IqCaller {
    /** Resolves with the `result` IQ; rejects with a StanzaError (`condition`) or a TimeoutError. */
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
  }
  export default function iqCaller(deps: { middleware: Middleware; entity: Client }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  import type { Client } from '@xmpp/client-core';
  import type { IncomingContext, Middleware } from '@xmpp/middleware';
  /** A truthy return is a `result`; an `<error/>` element an error reply; anything else service-unavailable. */
  export type IqHandler = (ctx: IncomingContext) => unknown;
  export interface IqCallee {
    get(xmlns: string, name: string, handler: IqHandler): void;
    set(xmlns: string, name: string, handler: IqHandler): void;
  }
  export default function iqCallee(deps: { middleware: Middleware; entity: Client }): IqCallee;
}

declare module '@xmpp/sasl' {
  import type { Client } from '@xmpp/client-core';
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type SaslFactory from 'saslmechanisms';
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export default function sasl(
    deps: { streamFeatures: StreamFeatures; saslFactory: SaslFactory },
    onAuthenticate: (authenticate: Authenticate, mechanisms: string[], fast: unknown, entity: Client) => Promise<void>,
  ): void;
}

declare module '@xmpp/resource-binding' {
  import type { IqCaller } from '@xmpp/iq/caller.js';
  import type { StreamFeatures } from '@xmpp/stream-features';
  export default function resourceBinding(deps: { iqCaller: IqCaller; streamFeatures: StreamFeatures }, resource?: string): void;
}

declare module '@xmpp/starttls/starttls.js' {
  import type { ConnectionOptions } from 'node:tls';
  /** True for a plain TCP socket. */
  export function canUpgrade(socket: unknown): boolean;
  /** Wraps the TCP socket in TLS (tls.connect({ socket, ...options })) and resolves on the handshake. */
  export function upgrade(socket: unknown, options: ConnectionOptions): Promise<unknown>;
}

declare module 'saslmechanisms' {
  /** A SASL client mechanism: `new` per authentication, answers challenges with binary (latin1) strings. */
  export interface SaslMechanismClass {
    new (): {
      response(credentials: { username?: string | null; password?: string | null }): string | Promise<string>;
      challenge(challenge: string): unknown;
    };
    prototype: { name: string; clientFirst: boolean };
  }
  export default class SaslFactory {
    use(mechanism: SaslMechanismClass): this;
  }
}
