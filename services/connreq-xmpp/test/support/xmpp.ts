import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@acs/telemetry';
import type { ProsodyServer } from '@acs/testkit';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { CONNREQ_NS } from '../../src/connection-request-iq.js';
import { parseXmppService, trustingTlsTransport } from '../../src/xmpp-client.js';
import type { XmppSession, XmppSessionOptions, XmppSessionState } from '../../src/xmpp-session.js';

export const ACS = { username: 'acs', password: 'acs-secret' };

/** Log lines as objects, for tests that check what was logged (and how often). */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service: 'connreq-xmpp-test', level: 'debug', destination }), lines };
}

export function sessionOptions(server: ProsodyServer, logger: Logger, overrides: Partial<XmppSessionOptions> & { directTls?: boolean } = {}): XmppSessionOptions {
  const { directTls, ...rest } = overrides;
  const service = directTls ? `xmpps://${server.host}:${server.directTlsPort}` : `xmpp://${server.host}:${server.port}`;
  return {
    endpoint: parseXmppService(service),
    domain: server.domain,
    username: ACS.username,
    password: ACS.password,
    resource: `acs-test-${Math.random().toString(36).slice(2, 8)}`,
    ca: readFileSync(server.caFile),
    reconnect: { baseMs: 100, maxMs: 1_000 },
    logger,
    ...rest,
  };
}

/** Resolves when the session reaches `state` (at once if it is there). */
export function reaches(session: XmppSession, state: XmppSessionState): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = session.onStateChange((s) => {
      if (s !== state) return;
      off();
      resolve();
    });
  });
}

export interface ReceivedConnectionRequest {
  readonly from: string | undefined;
  readonly type: string | undefined;
  readonly username: string | null;
  readonly password: string | null;
}

/** What the test CPE answers: `result`, a stanza error, or nothing ever. */
export type CpeAnswer = 'accept' | 'ignore' | { condition: string; type?: string; text?: string };

export interface TestCpe {
  /** The full JID to address connection requests to. */
  readonly jid: string;
  readonly client: Client;
  readonly received: ReceivedConnectionRequest[];
  answer: CpeAnswer;
  /** Resolves with the next connection request the CPE receives. */
  nextRequest(): Promise<ReceivedConnectionRequest>;
  stop(): Promise<void>;
}

/**
 * A CPE's XMPP side as a plain @xmpp/client (not the code under test): logged in as `username`, answering the Annex K
 * connectionRequest IQ as told by `answer`. It keeps @xmpp/client's own reconnect, so it comes back after a restart.
 */
export async function connectCpe(server: ProsodyServer, username: string, password: string, answer: CpeAnswer = 'accept'): Promise<TestCpe> {
  const xmpp = client({ service: `xmpps://${server.host}:${server.directTlsPort}`, domain: server.domain, resource: 'cwmp', username, password });
  xmpp.transports.unshift(trustingTlsTransport(readFileSync(server.caFile), server.domain));
  xmpp.on('error', () => {
    // start() rejects with the same error; a listener keeps EventEmitter from throwing it again.
  });
  const waiters: ((r: ReceivedConnectionRequest) => void)[] = [];
  const silent: (() => void)[] = [];
  const cpe: TestCpe = {
    jid: `${username}@${server.domain}/cwmp`,
    client: xmpp,
    received: [],
    answer,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    async stop() {
      for (const release of silent) release();
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
  xmpp.iqCallee.get(CONNREQ_NS, 'connectionRequest', (ctx) => {
    const request = {
      from: ctx.stanza.attrs.from,
      type: ctx.stanza.attrs.type,
      username: ctx.element.getChildText('username'),
      password: ctx.element.getChildText('password'),
    };
    cpe.received.push(request);
    for (const resolve of waiters.splice(0)) resolve(request);
    const a = cpe.answer;
    // @xmpp/iq answers `result` only for a truthy return value.
    if (a === 'accept') return true;
    if (a === 'ignore') return new Promise<void>((resolve) => silent.push(resolve)).then(() => stanzaError('service-unavailable'));
    return stanzaError(a.condition, a.type, a.text);
  });
  await xmpp.start();
  return cpe;
}

function stanzaError(condition: string, type = 'cancel', text?: string): Element {
  const ns = 'urn:ietf:params:xml:ns:xmpp-stanzas';
  return xml('error', { type }, xml(condition, { xmlns: ns }), text === undefined ? undefined : xml('text', { xmlns: ns }, text));
}

/** Logs in as a plain client and out again: true when the server accepted the password, false for not-authorized. */
export async function canLogin(server: ProsodyServer, username: string, password: string): Promise<boolean> {
  const xmpp = client({ service: `xmpps://${server.host}:${server.directTlsPort}`, domain: server.domain, resource: 'probe', username, password });
  xmpp.transports.unshift(trustingTlsTransport(readFileSync(server.caFile), server.domain));
  xmpp.on('error', () => undefined);
  xmpp.reconnect.stop();
  try {
    await xmpp.start();
  } catch (err) {
    if ((err as { condition?: string }).condition === 'not-authorized') return false;
    throw err;
  } finally {
    await xmpp.stop().catch(() => undefined);
  }
  return true;
}
