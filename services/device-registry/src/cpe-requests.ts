import { CPE_METHODS_SERVED, type CpeRequestReply, type CpeRequestRequest } from '@acs/contracts';
import type { RegistryDeps } from './deps.js';
import { reconcileTransfer } from './results.js';

/** What we answer a CPE's GetRPCMethods with (the list lives in the gateway↔registry contract). */
export const ACS_METHODS = CPE_METHODS_SERVED;

/**
 * sessionCpeRequest: a CPE-initiated RPC other than Inform. TransferComplete reconciles the
 * download task by CommandKey and is always answered, even for an unknown key (or the CPE keeps
 * resending it); the others are recorded and answered with their empty response; anything else
 * gets fault 8000.
 */
export async function cpeRequest(deps: RegistryDeps, req: CpeRequestRequest): Promise<CpeRequestReply> {
  const { store, logger } = deps;
  const request = req.request;
  const log = logger.child({ deviceId: req.deviceId, sessionId: req.sessionId, method: request.name });
  const now = deps.clock();
  switch (request.name) {
    case 'TransferComplete': {
      const task = await reconcileTransfer(
        deps,
        req.deviceId,
        request.commandKey,
        request.faultStruct,
        { faultCode: request.faultStruct.faultCode, faultString: request.faultStruct.faultString, startTime: request.startTime, completeTime: request.completeTime },
        req.sessionId,
      );
      log.info({ CommandKey: request.commandKey, FaultCode: request.faultStruct.faultCode, taskId: task?.id ?? null }, 'TransferComplete');
      return { response: { name: 'TransferCompleteResponse' } };
    }
    case 'AutonomousTransferComplete': {
      if (request.faultStruct.faultCode !== 0) {
        await store.recordFault(
          { deviceId: req.deviceId, code: String(request.faultStruct.faultCode), message: request.faultStruct.faultString, detail: { method: request.name, transferURL: request.transferURL, fileType: request.fileType } },
          now,
        );
      }
      log.info({ transferURL: request.transferURL, FaultCode: request.faultStruct.faultCode }, 'AutonomousTransferComplete');
      return { response: { name: 'AutonomousTransferCompleteResponse' } };
    }
    case 'RequestDownload':
      log.info({ fileType: request.fileType }, 'RequestDownload');
      return { response: { name: 'RequestDownloadResponse' } };
    case 'Kicked':
      log.info({ command: request.command, referer: request.referer }, 'Kicked');
      // No kick handling configured: send the browser on to where it was going.
      return { response: { name: 'KickedResponse', nextURL: request.next } };
    case 'DUStateChangeComplete':
    case 'AutonomousDUStateChangeComplete': {
      for (const r of request.results) {
        if (r.fault.faultCode === 0) continue;
        await store.recordFault({ deviceId: req.deviceId, code: String(r.fault.faultCode), message: r.fault.faultString, detail: { method: request.name, uuid: r.uuid } }, now);
      }
      log.info({ results: request.results.length }, request.name);
      return { response: { name: `${request.name}Response` } };
    }
    case 'GetRPCMethods':
      return { response: { name: 'GetRPCMethodsResponse', methodList: [...ACS_METHODS] } };
    default: {
      log.warn('CPE request not supported');
      // TR-069 A.5: 8000 Method not supported.
      return { fault: { code: 8000, message: 'Method not supported' } };
    }
  }
}
