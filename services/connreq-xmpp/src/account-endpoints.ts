import type { Bus, BusMessage, ServiceHandle } from '@acs/bus';
import {
  QUEUE_GROUPS,
  decodePayload,
  parseXmppAccountEnsureRequest,
  parseXmppAccountRemoveRequest,
  type ErrorCode,
  type ErrorReply,
  type Parser,
  type Subjects,
  type XmppAccountEnsureReply,
  type XmppAccountRemoveReply,
} from '@acs/contracts';
import { createMetrics, type Logger, type Metrics } from '@acs/telemetry';
import { XmppAccountError, type XmppAccountErrorCode, type XmppAccounts } from './accounts.js';
import { XmppSessionDownError, XmppTimeoutError } from './xmpp-errors.js';

/** Name (`nats micro ls`) and version of the account endpoints' micro service. */
export const XMPP_ACCOUNTS_SERVICE = { name: 'acs-connreq-xmpp', version: '0.1.0' } as const;

export interface AccountEndpointsOptions {
  readonly bus: Bus;
  readonly subjects: Subjects;
  readonly accounts: XmppAccounts;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** What an ensure reply tells the CPE to configure, besides its own JID. */
  readonly cpe: Omit<XmppAccountEnsureReply, 'jid'>;
}

// A refusal keeps its XMPP-level code in the message; the reply's code is one every bus client knows.
const REFUSALS: Record<XmppAccountErrorCode, ErrorCode> = {
  XMPP_ADMIN_FORBIDDEN: 'FORBIDDEN',
  XMPP_ACCOUNT_REFUSED: 'FORBIDDEN',
  // The server lacks XEP-0133 (or admin_adhoc is not loaded): a deployment bug, not the caller's.
  XMPP_ADMIN_UNSUPPORTED: 'INTERNAL',
};

function errorReply(code: ErrorCode, message: string, issues?: ErrorReply['error']['issues']): ErrorReply {
  return { ok: false, error: { code, message, ...(issues === undefined ? {} : { issues }) } };
}

function refusal(err: unknown): ErrorReply | undefined {
  if (err instanceof XmppAccountError) return errorReply(REFUSALS[err.code], `${err.code}: ${err.message}`);
  if (err instanceof XmppSessionDownError) return errorReply('UNAVAILABLE', err.message);
  if (err instanceof XmppTimeoutError) return errorReply('TIMEOUT', err.message);
  return undefined;
}

/**
 * Serves `xmpp.account.ensure` and `xmpp.account.remove` as the `acs-connreq-xmpp` micro service, in the replicas'
 * shared queue group. Every request is answered: the reply, or an ErrorReply (INVALID_PAYLOAD with the issues,
 * UNAVAILABLE while the XMPP session is down, TIMEOUT, FORBIDDEN for a refusal, INTERNAL).
 */
export function serveAccountEndpoints(options: AccountEndpointsOptions): Promise<ServiceHandle> {
  const { bus, subjects, accounts, logger, cpe } = options;
  const requests = (options.metrics ?? createMetrics('acs.connreq-xmpp')).counter('acs.xmpp.account.requests', {
    description: 'XMPP account requests by operation and result code',
  });

  function endpoint<Req>(op: 'ensure' | 'remove', parse: Parser<Req>, run: (req: Req) => Promise<object>) {
    return async (msg: BusMessage): Promise<object> => {
      const parsed = decodePayload(msg.data, parse);
      if (!parsed.ok) {
        logger.warn({ subject: msg.subject, err: parsed.error.message }, 'invalid XMPP account request');
        requests.add(1, { op, result: 'INVALID_PAYLOAD' });
        return errorReply('INVALID_PAYLOAD', parsed.error.message, parsed.error.issues.map((i) => ({ ...i, path: [...i.path] })));
      }
      try {
        const reply = await run(parsed.value);
        requests.add(1, { op, result: 'ok' });
        return reply;
      } catch (err) {
        const reply = refusal(err);
        requests.add(1, { op, result: reply?.error.code ?? 'INTERNAL' });
        if (reply !== undefined) {
          logger.warn({ op, err }, 'XMPP account request refused');
          return reply;
        }
        logger.error({ op, err }, 'XMPP account request failed');
        return errorReply('INTERNAL', 'internal error');
      }
    };
  }

  const jidOf = (username: string) => `${username}@${cpe.domain}`;
  return bus.serveService({ ...XMPP_ACCOUNTS_SERVICE, description: "CPE accounts on the ACS's XMPP server (XEP-0133)", queue: QUEUE_GROUPS.connreqXmpp }, [
    {
      name: 'account-ensure',
      subject: subjects.xmpp.accountEnsure,
      handler: endpoint('ensure', parseXmppAccountEnsureRequest, async ({ username, password }): Promise<XmppAccountEnsureReply> => {
        await accounts.ensure(username, password);
        return { jid: jidOf(username), ...cpe };
      }),
    },
    {
      name: 'account-remove',
      subject: subjects.xmpp.accountRemove,
      handler: endpoint('remove', parseXmppAccountRemoveRequest, async ({ username }): Promise<XmppAccountRemoveReply> => {
        await accounts.remove(username);
        return { jid: jidOf(username) };
      }),
    },
  ]);
}
