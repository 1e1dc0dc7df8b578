// The CWMP message model shared by the ACS (gateway) and the CPE simulator.
// One interface per RPC, named as in TR-069 and discriminated on `name`.
// Argument fields are camelCase versions of the schema's element names; values that
// travel as xsd lexical strings stay strings where precision matters (see ParameterValueStruct).

/** CWMP protocol versions we can recognise (cwmp-protocol.md §2.2). */
export type CwmpVersion = '1.0' | '1.1' | '1.2' | '1.3' | '1.4';

/** xsd types seen on `Value` elements, by local name (prefix stripped). */
export type XsdType =
  | 'string'
  | 'int'
  | 'unsignedInt'
  | 'long'
  | 'unsignedLong'
  | 'boolean'
  | 'dateTime'
  | 'base64'
  | 'hexBinary'
  | 'decimal';

/**
 * A parameter value as it travels on the wire: the xsd lexical form plus its type.
 * Keeping the lexical string is what makes long/unsignedLong/dateTime/base64 round-trip
 * without loss; typed accessors live in `values.ts`.
 */
export interface ParameterValueStruct {
  name: string;
  value: string;
  type: XsdType;
}

export interface DeviceIdStruct {
  manufacturer: string;
  oui: string;
  productClass: string;
  serialNumber: string;
}

export interface EventStruct {
  eventCode: string;
  commandKey: string;
}

export interface FaultStruct {
  faultCode: number;
  faultString: string;
}

export interface ParameterInfoStruct {
  name: string;
  writable: boolean;
}

/** 0 off, 1 passive, 2 active, 3-6 lightweight variants (CWMP 1.4). */
export type NotificationValue = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface ParameterAttributeStruct {
  name: string;
  notification: NotificationValue;
  accessList: string[];
}

export interface SetParameterAttributesStruct {
  name: string;
  notificationChange: boolean;
  notification: NotificationValue;
  accessListChange: boolean;
  accessList: string[];
}

export interface QueuedTransferStruct {
  commandKey: string;
  /** 1 not started, 2 in progress, 3 completed */
  state: number;
}

export interface AllQueuedTransferStruct extends QueuedTransferStruct {
  isDownload: boolean;
  fileType: string;
  fileSize: number;
  targetFileName: string;
}

export interface TimeWindowStruct {
  windowStart: number;
  windowEnd: number;
  windowMode: string;
  userMessage: string;
  maxRetries: number;
}

export interface ArgStruct {
  name: string;
  value: string;
}

export type ChangeDUStateOperation =
  | { type: 'InstallOpStruct'; url: string; uuid?: string; username?: string; password?: string; executionEnvRef?: string }
  | { type: 'UpdateOpStruct'; uuid?: string; version?: string; url?: string; username?: string; password?: string }
  | { type: 'UninstallOpStruct'; uuid: string; version?: string; executionEnvRef?: string };

export interface OpResultStruct {
  uuid: string;
  deploymentUnitRef: string;
  version: string;
  currentState: string;
  resolved: boolean;
  executionUnitRefList: string;
  startTime: string;
  completeTime: string;
  fault: FaultStruct;
}

export interface AutonOpResultStruct extends OpResultStruct {
  operationPerformed: string;
}

// ---------------------------------------------------------------------------
// CPE -> ACS requests (and the ACS's responses)

export interface Inform {
  name: 'Inform';
  deviceId: DeviceIdStruct;
  event: EventStruct[];
  maxEnvelopes: number;
  /** xsd:dateTime lexical form; Unknown Time is 0001-01-01T00:00:00Z */
  currentTime: string;
  retryCount: number;
  parameterList: ParameterValueStruct[];
}
export interface InformResponse {
  name: 'InformResponse';
  maxEnvelopes: number;
}

export interface TransferComplete {
  name: 'TransferComplete';
  commandKey: string;
  faultStruct: FaultStruct;
  startTime: string;
  completeTime: string;
}
export interface TransferCompleteResponse {
  name: 'TransferCompleteResponse';
}

export interface AutonomousTransferComplete {
  name: 'AutonomousTransferComplete';
  announceURL: string;
  transferURL: string;
  isDownload: boolean;
  fileType: string;
  fileSize: number;
  targetFileName: string;
  faultStruct: FaultStruct;
  startTime: string;
  completeTime: string;
}
export interface AutonomousTransferCompleteResponse {
  name: 'AutonomousTransferCompleteResponse';
}

export interface RequestDownload {
  name: 'RequestDownload';
  fileType: string;
  fileTypeArg: ArgStruct[];
}
export interface RequestDownloadResponse {
  name: 'RequestDownloadResponse';
}

export interface Kicked {
  name: 'Kicked';
  command: string;
  referer: string;
  arg: string;
  next: string;
}
export interface KickedResponse {
  name: 'KickedResponse';
  nextURL: string;
}

export interface DUStateChangeComplete {
  name: 'DUStateChangeComplete';
  results: OpResultStruct[];
  commandKey: string;
}
export interface DUStateChangeCompleteResponse {
  name: 'DUStateChangeCompleteResponse';
}

export interface AutonomousDUStateChangeComplete {
  name: 'AutonomousDUStateChangeComplete';
  results: AutonOpResultStruct[];
}
export interface AutonomousDUStateChangeCompleteResponse {
  name: 'AutonomousDUStateChangeCompleteResponse';
}

// GetRPCMethods goes both ways with the same shape.
export interface GetRPCMethods {
  name: 'GetRPCMethods';
}
export interface GetRPCMethodsResponse {
  name: 'GetRPCMethodsResponse';
  methodList: string[];
}

// ---------------------------------------------------------------------------
// ACS -> CPE requests (and the CPE's responses)

export interface SetParameterValues {
  name: 'SetParameterValues';
  parameterList: ParameterValueStruct[];
  parameterKey: string;
}
export interface SetParameterValuesResponse {
  name: 'SetParameterValuesResponse';
  status: 0 | 1;
}

export interface GetParameterValues {
  name: 'GetParameterValues';
  parameterNames: string[];
}
export interface GetParameterValuesResponse {
  name: 'GetParameterValuesResponse';
  parameterList: ParameterValueStruct[];
}

export interface GetParameterNames {
  name: 'GetParameterNames';
  parameterPath: string;
  nextLevel: boolean;
}
export interface GetParameterNamesResponse {
  name: 'GetParameterNamesResponse';
  parameterList: ParameterInfoStruct[];
}

export interface SetParameterAttributes {
  name: 'SetParameterAttributes';
  parameterList: SetParameterAttributesStruct[];
}
export interface SetParameterAttributesResponse {
  name: 'SetParameterAttributesResponse';
}

export interface GetParameterAttributes {
  name: 'GetParameterAttributes';
  parameterNames: string[];
}
export interface GetParameterAttributesResponse {
  name: 'GetParameterAttributesResponse';
  parameterList: ParameterAttributeStruct[];
}

export interface AddObject {
  name: 'AddObject';
  objectName: string;
  parameterKey: string;
}
export interface AddObjectResponse {
  name: 'AddObjectResponse';
  instanceNumber: number;
  status: 0 | 1;
}

export interface DeleteObject {
  name: 'DeleteObject';
  objectName: string;
  parameterKey: string;
}
export interface DeleteObjectResponse {
  name: 'DeleteObjectResponse';
  status: 0 | 1;
}

export interface Reboot {
  name: 'Reboot';
  commandKey: string;
}
export interface RebootResponse {
  name: 'RebootResponse';
}

export interface Download {
  name: 'Download';
  commandKey: string;
  fileType: string;
  url: string;
  username: string;
  password: string;
  fileSize: number;
  targetFileName: string;
  delaySeconds: number;
  successURL: string;
  failureURL: string;
}
export interface DownloadResponse {
  name: 'DownloadResponse';
  status: 0 | 1;
  startTime: string;
  completeTime: string;
}

export interface Upload {
  name: 'Upload';
  commandKey: string;
  fileType: string;
  url: string;
  username: string;
  password: string;
  delaySeconds: number;
}
export interface UploadResponse {
  name: 'UploadResponse';
  status: 0 | 1;
  startTime: string;
  completeTime: string;
}

export interface FactoryReset {
  name: 'FactoryReset';
}
export interface FactoryResetResponse {
  name: 'FactoryResetResponse';
}

export interface ScheduleInform {
  name: 'ScheduleInform';
  delaySeconds: number;
  commandKey: string;
}
export interface ScheduleInformResponse {
  name: 'ScheduleInformResponse';
}

export interface ScheduleDownload {
  name: 'ScheduleDownload';
  commandKey: string;
  fileType: string;
  url: string;
  username: string;
  password: string;
  fileSize: number;
  targetFileName: string;
  timeWindowList: TimeWindowStruct[];
}
export interface ScheduleDownloadResponse {
  name: 'ScheduleDownloadResponse';
}

export interface CancelTransfer {
  name: 'CancelTransfer';
  commandKey: string;
}
export interface CancelTransferResponse {
  name: 'CancelTransferResponse';
}

export interface GetQueuedTransfers {
  name: 'GetQueuedTransfers';
}
export interface GetQueuedTransfersResponse {
  name: 'GetQueuedTransfersResponse';
  transferList: QueuedTransferStruct[];
}

export interface GetAllQueuedTransfers {
  name: 'GetAllQueuedTransfers';
}
export interface GetAllQueuedTransfersResponse {
  name: 'GetAllQueuedTransfersResponse';
  transferList: AllQueuedTransferStruct[];
}

export interface ChangeDUState {
  name: 'ChangeDUState';
  operations: ChangeDUStateOperation[];
  commandKey: string;
}
export interface ChangeDUStateResponse {
  name: 'ChangeDUStateResponse';
}

// ---------------------------------------------------------------------------
// Faults

export interface SetParameterValuesFaultStruct {
  parameterName: string;
  faultCode: number;
  faultString: string;
}

/** A SOAP Fault carrying CWMP fault detail (cwmp-protocol.md §2.6). */
export interface Fault {
  name: 'Fault';
  /** SOAP faultcode with any prefix stripped. */
  faultcode: 'Client' | 'Server';
  faultstring: string;
  detail: {
    faultCode: number;
    faultString: string;
    setParameterValuesFault: SetParameterValuesFaultStruct[];
  };
}

// ---------------------------------------------------------------------------
// Catalogues

export type CpeRequest =
  | Inform
  | TransferComplete
  | AutonomousTransferComplete
  | RequestDownload
  | Kicked
  | DUStateChangeComplete
  | AutonomousDUStateChangeComplete
  | GetRPCMethods;

export type AcsResponse =
  | InformResponse
  | TransferCompleteResponse
  | AutonomousTransferCompleteResponse
  | RequestDownloadResponse
  | KickedResponse
  | DUStateChangeCompleteResponse
  | AutonomousDUStateChangeCompleteResponse
  | GetRPCMethodsResponse;

export type AcsRequest =
  | GetRPCMethods
  | SetParameterValues
  | GetParameterValues
  | GetParameterNames
  | SetParameterAttributes
  | GetParameterAttributes
  | AddObject
  | DeleteObject
  | Reboot
  | Download
  | Upload
  | FactoryReset
  | ScheduleInform
  | ScheduleDownload
  | CancelTransfer
  | GetQueuedTransfers
  | GetAllQueuedTransfers
  | ChangeDUState;

export type CpeResponse =
  | GetRPCMethodsResponse
  | SetParameterValuesResponse
  | GetParameterValuesResponse
  | GetParameterNamesResponse
  | SetParameterAttributesResponse
  | GetParameterAttributesResponse
  | AddObjectResponse
  | DeleteObjectResponse
  | RebootResponse
  | DownloadResponse
  | UploadResponse
  | FactoryResetResponse
  | ScheduleInformResponse
  | ScheduleDownloadResponse
  | CancelTransferResponse
  | GetQueuedTransfersResponse
  | GetAllQueuedTransfersResponse
  | ChangeDUStateResponse;

/** Every body the codec can parse or build. */
export type CwmpMessage = CpeRequest | AcsResponse | AcsRequest | CpeResponse | Fault;
export type CwmpMethodName = CwmpMessage['name'];

/** Maps a request name to its response type, e.g. ResponseOf<'GetParameterValues'>. */
export type ResponseOf<N extends (AcsRequest | CpeRequest)['name']> = Extract<
  AcsResponse | CpeResponse,
  { name: `${N}Response` }
>;

/** CWMP SOAP header fields (cwmp-protocol.md §1.5). Absent means not present on the wire. */
export interface CwmpHeader {
  /** cwmp:ID; echo it on the response only if the request had one (it may be ''). */
  id?: string;
  holdRequests?: boolean;
  /** Deprecated (never sent by us); parsed so it can be ignored knowingly. */
  noMoreRequests?: boolean;
  /** Seconds (CWMP 1.3+, CPE -> ACS on Inform). */
  sessionTimeout?: number;
  /** From SupportedCWMPVersions, trimmed (CWMP 1.4). */
  supportedCWMPVersions?: string[];
  /** UseCWMPVersion on InformResponse (CWMP 1.4). */
  useCWMPVersion?: string;
}

/** One SOAP envelope with a CWMP body. */
export interface CwmpEnvelope<M extends CwmpMessage = CwmpMessage> {
  /** The exact cwmp namespace URI the peer used, e.g. urn:dslforum-org:cwmp-1-2. Answer in it. */
  cwmpNamespace: string;
  header: CwmpHeader;
  body: M;
}
