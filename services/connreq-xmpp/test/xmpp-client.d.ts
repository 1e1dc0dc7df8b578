// The stock @xmpp/client, which the test CPEs use; the pieces it is built from are declared in src/xmpp-modules.d.ts.
declare module '@xmpp/client' {
  import type { Client as CoreClient, TransportClass } from '@xmpp/client-core';
  import type { IqCaller } from '@xmpp/iq/caller.js';
  import type { IqCallee } from '@xmpp/iq/callee.js';
  export { default as xml } from '@xmpp/xml';

  export interface Client extends CoreClient {
    transports: TransportClass[];
    iqCaller: IqCaller;
    iqCallee: IqCallee;
    reconnect: { stop(): void };
  }

  export function client(options: { service: string; domain: string; resource?: string; username?: string; password?: string }): Client;
}
