// fast-check arbitraries for every CWMP message. Fields the decoder trims (names, codes,
// dateTimes, IDs) are generated without surrounding whitespace; xsd:string values get
// anything XML 1.0 can carry, markup characters and astral-plane text included.
import fc from 'fast-check';
import type {
  ChangeDUStateOperation,
  CwmpEnvelope,
  CwmpHeader,
  CwmpMessage,
  CwmpMethodName,
  FaultStruct,
  OpResultStruct,
  ParameterValueStruct,
  XsdType,
} from '../src/index.js';
import { findIllegalXmlChar } from '../src/xml.js';

const tricky = fc.constantFrom('<', '>', '&', '"', "'", ']]>', '&amp;', '\r', '\r\n', '\n', '\t', ' ', '\u00a0', 'é', '€', '📶', '\u2028', '\uFEFF');
const unit = fc.oneof(
  tricky,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);

/** Any text XML 1.0 can carry (possibly empty). */
export const xmlText = fc.string({ unit, maxLength: 24 }).filter((s) => findIllegalXmlChar(s) < 0);
/** Text the decoder would not change by trimming. */
export const token = xmlText.filter((s) => s.trim() === s);
const nonEmptyToken = token.filter((s) => s !== '');

const uint = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const dateTime = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const status = fc.constantFrom(0 as const, 1 as const);
const notification = fc.constantFrom(0, 1, 2, 3, 4, 5, 6) as fc.Arbitrary<0 | 1 | 2 | 3 | 4 | 5 | 6>;

const lexical: { [T in XsdType]: fc.Arbitrary<string> } = {
  string: xmlText,
  int: int32.map(String),
  unsignedInt: uint.map(String),
  long: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  unsignedLong: fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(String),
  boolean: fc.constantFrom('true', 'false', '1', '0'),
  dateTime,
  base64: fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')),
  hexBinary: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')),
  decimal: fc.tuple(fc.integer(), fc.nat()).map(([a, b]) => `${a}.${b}`),
};

export const parameterValue: fc.Arbitrary<ParameterValueStruct> = fc
  .constantFrom(...(Object.keys(lexical) as XsdType[]))
  .chain((type) => fc.record({ name: token, value: lexical[type], type: fc.constant(type) }));

const parameterValues = fc.array(parameterValue, { maxLength: 6 });
const faultStruct: fc.Arbitrary<FaultStruct> = fc.record({ faultCode: uint, faultString: xmlText });
const tokens = fc.array(token, { maxLength: 5 });

const opResult: fc.Arbitrary<OpResultStruct> = fc.record({
  uuid: token,
  deploymentUnitRef: xmlText,
  version: xmlText,
  currentState: token,
  resolved: fc.boolean(),
  executionUnitRefList: xmlText,
  startTime: dateTime,
  completeTime: dateTime,
  fault: faultStruct,
});

const operation: fc.Arbitrary<ChangeDUStateOperation> = fc.oneof(
  fc.record(
    { type: fc.constant('InstallOpStruct' as const), url: xmlText, uuid: token, username: xmlText, password: xmlText, executionEnvRef: xmlText },
    { requiredKeys: ['type', 'url'] },
  ),
  fc.record(
    { type: fc.constant('UpdateOpStruct' as const), uuid: token, version: xmlText, url: xmlText, username: xmlText, password: xmlText },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constant('UninstallOpStruct' as const), uuid: token, version: xmlText, executionEnvRef: xmlText },
    { requiredKeys: ['type', 'uuid'] },
  ),
);

type MessageArbs = { [K in CwmpMethodName]: fc.Arbitrary<Extract<CwmpMessage, { name: K }>> };
const empty = <K extends CwmpMethodName>(name: K): fc.Arbitrary<Extract<CwmpMessage, { name: K }>> =>
  fc.constant({ name } as Extract<CwmpMessage, { name: K }>);

export const MESSAGES: MessageArbs = {
  Inform: fc.record({
    name: fc.constant('Inform'),
    deviceId: fc.record({ manufacturer: token, oui: nonEmptyToken, productClass: token, serialNumber: nonEmptyToken }),
    event: fc.array(fc.record({ eventCode: token, commandKey: xmlText }), { maxLength: 4 }),
    maxEnvelopes: uint,
    currentTime: dateTime,
    retryCount: uint,
    parameterList: parameterValues,
  }),
  InformResponse: fc.record({ name: fc.constant('InformResponse'), maxEnvelopes: uint }),
  TransferComplete: fc.record({
    name: fc.constant('TransferComplete'),
    commandKey: xmlText,
    faultStruct,
    startTime: dateTime,
    completeTime: dateTime,
  }),
  TransferCompleteResponse: empty('TransferCompleteResponse'),
  AutonomousTransferComplete: fc.record({
    name: fc.constant('AutonomousTransferComplete'),
    announceURL: xmlText,
    transferURL: xmlText,
    isDownload: fc.boolean(),
    fileType: xmlText,
    fileSize: uint,
    targetFileName: xmlText,
    faultStruct,
    startTime: dateTime,
    completeTime: dateTime,
  }),
  AutonomousTransferCompleteResponse: empty('AutonomousTransferCompleteResponse'),
  RequestDownload: fc.record({
    name: fc.constant('RequestDownload'),
    fileType: xmlText,
    fileTypeArg: fc.array(fc.record({ name: token, value: xmlText }), { maxLength: 3 }),
  }),
  RequestDownloadResponse: empty('RequestDownloadResponse'),
  Kicked: fc.record({ name: fc.constant('Kicked'), command: xmlText, referer: xmlText, arg: xmlText, next: xmlText }),
  KickedResponse: fc.record({ name: fc.constant('KickedResponse'), nextURL: xmlText }),
  DUStateChangeComplete: fc.record({
    name: fc.constant('DUStateChangeComplete'),
    results: fc.array(opResult, { maxLength: 3 }),
    commandKey: xmlText,
  }),
  DUStateChangeCompleteResponse: empty('DUStateChangeCompleteResponse'),
  AutonomousDUStateChangeComplete: fc.record({
    name: fc.constant('AutonomousDUStateChangeComplete'),
    results: fc.array(
      fc.tuple(opResult, token).map(([r, operationPerformed]) => ({ ...r, operationPerformed })),
      { maxLength: 3 },
    ),
  }),
  AutonomousDUStateChangeCompleteResponse: empty('AutonomousDUStateChangeCompleteResponse'),
  GetRPCMethods: empty('GetRPCMethods'),
  GetRPCMethodsResponse: fc.record({ name: fc.constant('GetRPCMethodsResponse'), methodList: tokens }),
  SetParameterValues: fc.record({ name: fc.constant('SetParameterValues'), parameterList: parameterValues, parameterKey: xmlText }),
  SetParameterValuesResponse: fc.record({ name: fc.constant('SetParameterValuesResponse'), status }),
  GetParameterValues: fc.record({ name: fc.constant('GetParameterValues'), parameterNames: tokens }),
  GetParameterValuesResponse: fc.record({ name: fc.constant('GetParameterValuesResponse'), parameterList: parameterValues }),
  GetParameterNames: fc.record({ name: fc.constant('GetParameterNames'), parameterPath: token, nextLevel: fc.boolean() }),
  GetParameterNamesResponse: fc.record({
    name: fc.constant('GetParameterNamesResponse'),
    parameterList: fc.array(fc.record({ name: token, writable: fc.boolean() }), { maxLength: 5 }),
  }),
  SetParameterAttributes: fc.record({
    name: fc.constant('SetParameterAttributes'),
    parameterList: fc.array(
      fc.record({
        name: token,
        notificationChange: fc.boolean(),
        notification,
        accessListChange: fc.boolean(),
        accessList: tokens,
      }),
      { maxLength: 4 },
    ),
  }),
  SetParameterAttributesResponse: empty('SetParameterAttributesResponse'),
  GetParameterAttributes: fc.record({ name: fc.constant('GetParameterAttributes'), parameterNames: tokens }),
  GetParameterAttributesResponse: fc.record({
    name: fc.constant('GetParameterAttributesResponse'),
    parameterList: fc.array(fc.record({ name: token, notification, accessList: tokens }), { maxLength: 4 }),
  }),
  AddObject: fc.record({ name: fc.constant('AddObject'), objectName: token, parameterKey: xmlText }),
  AddObjectResponse: fc.record({ name: fc.constant('AddObjectResponse'), instanceNumber: uint, status }),
  DeleteObject: fc.record({ name: fc.constant('DeleteObject'), objectName: token, parameterKey: xmlText }),
  DeleteObjectResponse: fc.record({ name: fc.constant('DeleteObjectResponse'), status }),
  Reboot: fc.record({ name: fc.constant('Reboot'), commandKey: xmlText }),
  RebootResponse: empty('RebootResponse'),
  Download: fc.record({
    name: fc.constant('Download'),
    commandKey: xmlText,
    fileType: xmlText,
    url: xmlText,
    username: xmlText,
    password: xmlText,
    fileSize: uint,
    targetFileName: xmlText,
    delaySeconds: uint,
    successURL: xmlText,
    failureURL: xmlText,
  }),
  DownloadResponse: fc.record({ name: fc.constant('DownloadResponse'), status, startTime: dateTime, completeTime: dateTime }),
  Upload: fc.record({
    name: fc.constant('Upload'),
    commandKey: xmlText,
    fileType: xmlText,
    url: xmlText,
    username: xmlText,
    password: xmlText,
    delaySeconds: uint,
  }),
  UploadResponse: fc.record({ name: fc.constant('UploadResponse'), status, startTime: dateTime, completeTime: dateTime }),
  FactoryReset: empty('FactoryReset'),
  FactoryResetResponse: empty('FactoryResetResponse'),
  ScheduleInform: fc.record({ name: fc.constant('ScheduleInform'), delaySeconds: uint, commandKey: xmlText }),
  ScheduleInformResponse: empty('ScheduleInformResponse'),
  ScheduleDownload: fc.record({
    name: fc.constant('ScheduleDownload'),
    commandKey: xmlText,
    fileType: xmlText,
    url: xmlText,
    username: xmlText,
    password: xmlText,
    fileSize: uint,
    targetFileName: xmlText,
    timeWindowList: fc.array(
      fc.record({ windowStart: uint, windowEnd: uint, windowMode: xmlText, userMessage: xmlText, maxRetries: int32 }),
      { maxLength: 2 },
    ),
  }),
  ScheduleDownloadResponse: empty('ScheduleDownloadResponse'),
  CancelTransfer: fc.record({ name: fc.constant('CancelTransfer'), commandKey: xmlText }),
  CancelTransferResponse: empty('CancelTransferResponse'),
  GetQueuedTransfers: empty('GetQueuedTransfers'),
  GetQueuedTransfersResponse: fc.record({
    name: fc.constant('GetQueuedTransfersResponse'),
    transferList: fc.array(fc.record({ commandKey: xmlText, state: int32 }), { maxLength: 3 }),
  }),
  GetAllQueuedTransfers: empty('GetAllQueuedTransfers'),
  GetAllQueuedTransfersResponse: fc.record({
    name: fc.constant('GetAllQueuedTransfersResponse'),
    transferList: fc.array(
      fc.record({
        commandKey: xmlText,
        state: int32,
        isDownload: fc.boolean(),
        fileType: xmlText,
        fileSize: uint,
        targetFileName: xmlText,
      }),
      { maxLength: 3 },
    ),
  }),
  ChangeDUState: fc.record({
    name: fc.constant('ChangeDUState'),
    operations: fc.array(operation, { maxLength: 3 }),
    commandKey: xmlText,
  }),
  ChangeDUStateResponse: empty('ChangeDUStateResponse'),
  Fault: fc.record({
    name: fc.constant('Fault'),
    faultcode: fc.constantFrom('Client' as const, 'Server' as const),
    faultstring: xmlText,
    detail: fc.record({
      faultCode: uint,
      faultString: xmlText,
      setParameterValuesFault: fc.array(
        fc.record({ parameterName: token, faultCode: uint, faultString: xmlText }),
        { maxLength: 3 },
      ),
    }),
  }),
};

export const header: fc.Arbitrary<CwmpHeader> = fc.record(
  {
    id: token,
    holdRequests: fc.boolean(),
    sessionTimeout: uint,
    supportedCWMPVersions: fc.array(nonEmptyToken.filter((s) => !s.includes(',')), { maxLength: 5 }),
    useCWMPVersion: token,
  },
  { requiredKeys: [] },
);

export const cwmpNamespace = fc.constantFrom(
  'urn:dslforum-org:cwmp-1-0',
  'urn:dslforum-org:cwmp-1-1',
  'urn:dslforum-org:cwmp-1-2',
  'urn:dslforum-org:cwmp-1-3',
  'urn:dslforum-org:cwmp-1-4',
);

export function envelopeOf<K extends CwmpMethodName>(name: K): fc.Arbitrary<CwmpEnvelope> {
  return fc.record({ cwmpNamespace, header, body: MESSAGES[name] as fc.Arbitrary<CwmpMessage> });
}
