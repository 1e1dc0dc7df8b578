import type { Fault, SetParameterValuesFaultStruct } from './types.js';

type FaultEntry = { readonly message: string; readonly faultcode: 'Client' | 'Server' };

// TR-069 Table (cwmp-protocol.md §5.1). 8006's faultcode is unverified; Server like the other
// refusals.
export const ACS_FAULTS = {
  8000: { message: 'Method not supported', faultcode: 'Server' },
  8001: { message: 'Request denied (no reason specified)', faultcode: 'Server' },
  8002: { message: 'Internal error', faultcode: 'Server' },
  8003: { message: 'Invalid arguments', faultcode: 'Client' },
  8004: { message: 'Resources exceeded', faultcode: 'Server' },
  8005: { message: 'Retry request', faultcode: 'Server' },
  8006: { message: 'ACS version incompatible with CPE', faultcode: 'Server' },
} as const satisfies Record<number, FaultEntry>;

// cwmp-protocol.md §5.2. Where sources disagree (9020) or are silent (9021-9025) the choice is
// ours: transfer/DU failures are Server, 9021 follows catawampus (Client).
export const CPE_FAULTS = {
  9000: { message: 'Method not supported', faultcode: 'Server' },
  9001: { message: 'Request denied (no reason specified)', faultcode: 'Server' },
  9002: { message: 'Internal error', faultcode: 'Server' },
  9003: { message: 'Invalid arguments', faultcode: 'Client' },
  9004: { message: 'Resources exceeded', faultcode: 'Server' },
  9005: { message: 'Invalid parameter name', faultcode: 'Client' },
  9006: { message: 'Invalid parameter type', faultcode: 'Client' },
  9007: { message: 'Invalid parameter value', faultcode: 'Client' },
  9008: { message: 'Attempt to set a non-writable parameter', faultcode: 'Client' },
  9009: { message: 'Notification request rejected', faultcode: 'Server' },
  9010: { message: 'File transfer failure', faultcode: 'Server' },
  9011: { message: 'Upload failure', faultcode: 'Server' },
  9012: { message: 'File transfer server authentication failure', faultcode: 'Server' },
  9013: { message: 'Unsupported protocol for file transfer', faultcode: 'Server' },
  9014: { message: 'File transfer failure: unable to join multicast group', faultcode: 'Server' },
  9015: { message: 'File transfer failure: unable to contact file server', faultcode: 'Server' },
  9016: { message: 'File transfer failure: unable to access file', faultcode: 'Server' },
  9017: { message: 'File transfer failure: unable to complete download', faultcode: 'Server' },
  9018: { message: 'File transfer failure: file corrupted', faultcode: 'Server' },
  9019: { message: 'File transfer failure: file authentication failure', faultcode: 'Server' },
  9020: {
    message: 'File transfer failure: unable to complete download within specified time windows',
    faultcode: 'Server',
  },
  9021: { message: 'Cancelation of file transfer not permitted in current transfer state', faultcode: 'Client' },
  9022: { message: 'Invalid UUID format', faultcode: 'Client' },
  9023: { message: 'Unknown Execution Environment', faultcode: 'Client' },
  9024: { message: 'Disabled Execution Environment', faultcode: 'Server' },
  9025: { message: 'Deployment Unit to Execution Environment mismatch', faultcode: 'Server' },
  9026: { message: 'Duplicate Deployment Unit', faultcode: 'Server' },
  9027: { message: 'System resources exceeded', faultcode: 'Server' },
  9028: { message: 'Unknown Deployment Unit', faultcode: 'Server' },
  9029: { message: 'Invalid Deployment Unit state', faultcode: 'Server' },
  9030: { message: 'Invalid Deployment Unit Update: Downgrade not permitted', faultcode: 'Server' },
  9031: { message: 'Invalid Deployment Unit Update: Version not specified', faultcode: 'Server' },
  9032: { message: 'Invalid Deployment Unit Update: Version already exists', faultcode: 'Server' },
} as const satisfies Record<number, FaultEntry>;

export type AcsFaultCode = keyof typeof ACS_FAULTS;
export type CpeFaultCode = keyof typeof CPE_FAULTS;
export type KnownFaultCode = AcsFaultCode | CpeFaultCode;

/** Table entry for a code, or undefined for vendor/reserved codes (which are never rejected). */
export function faultInfo(code: number): FaultEntry | undefined {
  return (ACS_FAULTS as Record<number, FaultEntry>)[code] ?? (CPE_FAULTS as Record<number, FaultEntry>)[code];
}

/**
 * A SOAP Fault body with CWMP detail. `faultcode` comes from the tables (vendor codes:
 * Server); `faultstring` is the conventional "CWMP fault".
 */
export function makeFault(code: number, message?: string, spvFaults: SetParameterValuesFaultStruct[] = []): Fault {
  const info = faultInfo(code);
  return {
    name: 'Fault',
    faultcode: info?.faultcode ?? 'Server',
    faultstring: 'CWMP fault',
    detail: {
      faultCode: code,
      faultString: message ?? info?.message ?? 'Vendor fault',
      setParameterValuesFault: spvFaults,
    },
  };
}
