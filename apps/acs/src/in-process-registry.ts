import { domainErrorCode, type RegistryClient } from '@acs/contracts';
import { RegistryError } from '@acs/cwmp-gateway';
import type { Logger } from '@acs/telemetry';

/**
 * The gateway's RegistryClient when both live in this process: plain calls, no JSON round trip through the
 * in-process bus and no contract validation of what our own gateway built (the gateway checks the CPE's input
 * against the contract itself). A failure reads as it would over the bus: a typed domain error keeps its
 * code, anything else is INTERNAL (and the gateway answers 503, as for a registry replica that failed).
 */
export function inProcessRegistryClient(registry: RegistryClient, logger: Logger): RegistryClient {
  const call =
    <Req, Rep>(name: string, fn: (req: Req) => Promise<Rep>) =>
    async (req: Req): Promise<Rep> => {
      try {
        return await fn(req);
      } catch (err) {
        const code = domainErrorCode(err);
        if (code !== undefined) throw new RegistryError(code, name, (err as Error).message, { cause: err });
        logger.error({ err, endpoint: name }, 'registry request failed');
        throw new RegistryError('INTERNAL', name, 'internal error', { cause: err });
      }
    };
  return {
    verifyCredentials: call('credentials.verify', (r) => registry.verifyCredentials(r)),
    recordInform: call('inform.record', (r) => registry.recordInform(r)),
    cpeRequest: call('session.cpe-request', (r) => registry.cpeRequest(r)),
    nextAction: call('session.next', (r) => registry.nextAction(r)),
    recordResult: call('session.result', (r) => registry.recordResult(r)),
  };
}
