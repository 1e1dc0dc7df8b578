import { CwmpEncodeError } from './errors.js';
import { SOAP_ENC_NS, SOAP_ENV_NS, XSD_NS, XSI_NS } from './namespaces.js';
import type {
  ChangeDUStateOperation,
  CwmpEnvelope,
  CwmpHeader,
  CwmpMessage,
  FaultStruct,
  OpResultStruct,
  ParameterValueStruct,
  XsdType,
} from './types.js';
import { escapeXml, findIllegalXmlChar } from './xml.js';

export interface EncodeOptions {
  /**
   * xsi:type written for base64 values. CPEs and GenieACS use `base64`; the XML Schema name
   * (which schema validators resolve) is `base64Binary`. Decoding accepts both.
   */
  base64Type?: 'base64' | 'base64Binary';
}

// Prefixes chosen for the simplest CPE parsers, which match literal names (cwmp-protocol.md §12.18).
const ENVELOPE_OPEN = (cwmpNs: string): string =>
  `<soap-env:Envelope xmlns:soap-env="${SOAP_ENV_NS}" xmlns:soap-enc="${SOAP_ENC_NS}" xmlns:xsd="${XSD_NS}"` +
  ` xmlns:xsi="${XSI_NS}" xmlns:cwmp="${escapeXml(cwmpNs)}">`;

/**
 * Serialise one envelope to XML (no XML declaration: one CPE stack drops replies carrying it).
 * Element order follows the BBF schema. Throws CwmpEncodeError for text XML cannot carry.
 */
export function encode(envelope: CwmpEnvelope, options: EncodeOptions = {}): string {
  const w = new Writer(options);
  const header = encodeHeader(envelope.header, w);
  return (
    ENVELOPE_OPEN(envelope.cwmpNamespace) +
    (header === '' ? '' : `<soap-env:Header>${header}</soap-env:Header>`) +
    `<soap-env:Body>${encodeBody(envelope.body, w)}</soap-env:Body></soap-env:Envelope>`
  );
}

const UNSIGNED_INT_ELEMENTS: ReadonlySet<string> = new Set([
  'MaxEnvelopes',
  'RetryCount',
  'FileSize',
  'DelaySeconds',
  'WindowStart',
  'WindowEnd',
  'InstanceNumber',
  'FaultCode',
  'SessionTimeout',
]);

class Writer {
  constructor(readonly options: EncodeOptions) {}

  text(s: string): string {
    const at = findIllegalXmlChar(s);
    if (at >= 0) {
      throw new CwmpEncodeError(
        'INVALID_CHARACTER',
        `U+${s.charCodeAt(at).toString(16).padStart(4, '0')} cannot be represented in XML 1.0`,
      );
    }
    return escapeXml(s);
  }

  el(name: string, content: string | number | boolean): string {
    const body = typeof content === 'string' ? this.text(content) : this.scalar(content, name);
    return `<${name}>${body}</${name}>`;
  }

  scalar(v: number | boolean, name = 'value'): string {
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    // Schema types by element: unsignedInt counters and codes, int elsewhere.
    const [lo, hi] = UNSIGNED_INT_ELEMENTS.has(name) ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new CwmpEncodeError('INVALID_VALUE', `${name} ${v} is not an xsd:${lo === 0 ? 'unsignedInt' : 'int'}`);
    }
    return String(v);
  }

  /** A SOAP-encoded array; the schema requires arrayType with the exact count. */
  array(wrapper: string, itemType: string, parts: string[]): string {
    return `<${wrapper} soap-enc:arrayType="${itemType}[${parts.length}]">${parts.join('')}</${wrapper}>`;
  }

  strings(wrapper: string, values: string[]): string {
    return this.array(wrapper, 'xsd:string', values.map((v) => this.el('string', v)));
  }

  xsiType(type: XsdType): string {
    return type === 'base64' ? `xsd:${this.options.base64Type ?? 'base64'}` : `xsd:${type}`;
  }

  parameterValues(list: ParameterValueStruct[]): string {
    return this.array(
      'ParameterList',
      'cwmp:ParameterValueStruct',
      list.map(
        (p) =>
          `<ParameterValueStruct>${this.el('Name', p.name)}<Value xsi:type="${this.xsiType(p.type)}">${this.text(p.value)}</Value></ParameterValueStruct>`,
      ),
    );
  }

  fault(name: string, f: FaultStruct): string {
    return `<${name}>${this.el('FaultCode', f.faultCode)}${this.el('FaultString', f.faultString)}</${name}>`;
  }

  opResult(r: OpResultStruct): string {
    return (
      this.el('UUID', r.uuid) +
      this.el('DeploymentUnitRef', r.deploymentUnitRef) +
      this.el('Version', r.version) +
      this.el('CurrentState', r.currentState) +
      this.el('Resolved', r.resolved) +
      this.el('ExecutionUnitRefList', r.executionUnitRefList) +
      this.el('StartTime', r.startTime) +
      this.el('CompleteTime', r.completeTime) +
      this.fault('Fault', r.fault)
    );
  }

  operation(op: ChangeDUStateOperation): string {
    const opt = (name: string, v: string | undefined): string => (v === undefined ? '' : this.el(name, v));
    let inner: string;
    switch (op.type) {
      case 'InstallOpStruct':
        inner =
          this.el('URL', op.url) +
          opt('UUID', op.uuid) +
          opt('Username', op.username) +
          opt('Password', op.password) +
          opt('ExecutionEnvRef', op.executionEnvRef);
        break;
      case 'UpdateOpStruct':
        inner =
          opt('UUID', op.uuid) +
          opt('Version', op.version) +
          opt('URL', op.url) +
          opt('Username', op.username) +
          opt('Password', op.password);
        break;
      case 'UninstallOpStruct':
        inner = this.el('UUID', op.uuid) + opt('Version', op.version) + opt('ExecutionEnvRef', op.executionEnvRef);
        break;
      default:
        return assertNever(op);
    }
    return `<Operations xsi:type="cwmp:${op.type}">${inner}</Operations>`;
  }
}

function encodeHeader(h: CwmpHeader, w: Writer): string {
  let out = '';
  if (h.id !== undefined) out += `<cwmp:ID soap-env:mustUnderstand="1">${w.text(h.id)}</cwmp:ID>`;
  if (h.holdRequests !== undefined) {
    out += `<cwmp:HoldRequests soap-env:mustUnderstand="1">${h.holdRequests ? 1 : 0}</cwmp:HoldRequests>`;
  }
  if (h.sessionTimeout !== undefined) {
    out += `<cwmp:SessionTimeout soap-env:mustUnderstand="0">${w.scalar(h.sessionTimeout, 'SessionTimeout')}</cwmp:SessionTimeout>`;
  }
  if (h.supportedCWMPVersions !== undefined) {
    out += `<cwmp:SupportedCWMPVersions soap-env:mustUnderstand="0">${w.text(h.supportedCWMPVersions.join(','))}</cwmp:SupportedCWMPVersions>`;
  }
  if (h.useCWMPVersion !== undefined) {
    out += `<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">${w.text(h.useCWMPVersion)}</cwmp:UseCWMPVersion>`;
  }
  // NoMoreRequests is deprecated and absent from every schema: never sent.
  return out;
}

function rpc(name: string, content = ''): string {
  return content === '' ? `<cwmp:${name}></cwmp:${name}>` : `<cwmp:${name}>${content}</cwmp:${name}>`;
}

function encodeBody(m: CwmpMessage, w: Writer): string {
  switch (m.name) {
    case 'Inform':
      return rpc(
        m.name,
        `<DeviceId>${w.el('Manufacturer', m.deviceId.manufacturer)}${w.el('OUI', m.deviceId.oui)}` +
          `${w.el('ProductClass', m.deviceId.productClass)}${w.el('SerialNumber', m.deviceId.serialNumber)}</DeviceId>` +
          w.array(
            'Event',
            'cwmp:EventStruct',
            m.event.map((e) => `<EventStruct>${w.el('EventCode', e.eventCode)}${w.el('CommandKey', e.commandKey)}</EventStruct>`),
          ) +
          w.el('MaxEnvelopes', m.maxEnvelopes) +
          w.el('CurrentTime', m.currentTime) +
          w.el('RetryCount', m.retryCount) +
          w.parameterValues(m.parameterList),
      );
    case 'InformResponse':
      return rpc(m.name, w.el('MaxEnvelopes', m.maxEnvelopes));
    case 'TransferComplete':
      return rpc(
        m.name,
        w.el('CommandKey', m.commandKey) +
          w.fault('FaultStruct', m.faultStruct) +
          w.el('StartTime', m.startTime) +
          w.el('CompleteTime', m.completeTime),
      );
    case 'AutonomousTransferComplete':
      return rpc(
        m.name,
        w.el('AnnounceURL', m.announceURL) +
          w.el('TransferURL', m.transferURL) +
          w.el('IsDownload', m.isDownload) +
          w.el('FileType', m.fileType) +
          w.el('FileSize', m.fileSize) +
          w.el('TargetFileName', m.targetFileName) +
          w.fault('FaultStruct', m.faultStruct) +
          w.el('StartTime', m.startTime) +
          w.el('CompleteTime', m.completeTime),
      );
    case 'RequestDownload':
      return rpc(
        m.name,
        w.el('FileType', m.fileType) +
          w.array(
            'FileTypeArg',
            'cwmp:ArgStruct',
            m.fileTypeArg.map((a) => `<ArgStruct>${w.el('Name', a.name)}${w.el('Value', a.value)}</ArgStruct>`),
          ),
      );
    case 'Kicked':
      return rpc(m.name, w.el('Command', m.command) + w.el('Referer', m.referer) + w.el('Arg', m.arg) + w.el('Next', m.next));
    case 'KickedResponse':
      return rpc(m.name, w.el('NextURL', m.nextURL));
    case 'DUStateChangeComplete':
      return rpc(
        m.name,
        m.results.map((r) => `<Results>${w.opResult(r)}</Results>`).join('') + w.el('CommandKey', m.commandKey),
      );
    case 'AutonomousDUStateChangeComplete':
      return rpc(
        m.name,
        m.results.map((r) => `<Results>${w.opResult(r)}${w.el('OperationPerformed', r.operationPerformed)}</Results>`).join(''),
      );
    case 'GetRPCMethodsResponse':
      return rpc(m.name, w.strings('MethodList', m.methodList));
    case 'SetParameterValues':
      return rpc(m.name, w.parameterValues(m.parameterList) + w.el('ParameterKey', m.parameterKey));
    case 'SetParameterValuesResponse':
    case 'DeleteObjectResponse':
      return rpc(m.name, w.el('Status', m.status));
    case 'GetParameterValues':
    case 'GetParameterAttributes':
      return rpc(m.name, w.strings('ParameterNames', m.parameterNames));
    case 'GetParameterValuesResponse':
      return rpc(m.name, w.parameterValues(m.parameterList));
    case 'GetParameterNames':
      return rpc(m.name, w.el('ParameterPath', m.parameterPath) + w.el('NextLevel', m.nextLevel));
    case 'GetParameterNamesResponse':
      return rpc(
        m.name,
        w.array(
          'ParameterList',
          'cwmp:ParameterInfoStruct',
          m.parameterList.map((p) => `<ParameterInfoStruct>${w.el('Name', p.name)}${w.el('Writable', p.writable)}</ParameterInfoStruct>`),
        ),
      );
    case 'SetParameterAttributes':
      return rpc(
        m.name,
        w.array(
          'ParameterList',
          'cwmp:SetParameterAttributesStruct',
          m.parameterList.map(
            (p) =>
              `<SetParameterAttributesStruct>${w.el('Name', p.name)}${w.el('NotificationChange', p.notificationChange)}` +
              `${w.el('Notification', p.notification)}${w.el('AccessListChange', p.accessListChange)}` +
              `${w.strings('AccessList', p.accessList)}</SetParameterAttributesStruct>`,
          ),
        ),
      );
    case 'GetParameterAttributesResponse':
      return rpc(
        m.name,
        w.array(
          'ParameterList',
          'cwmp:ParameterAttributeStruct',
          m.parameterList.map(
            (p) =>
              `<ParameterAttributeStruct>${w.el('Name', p.name)}${w.el('Notification', p.notification)}` +
              `${w.strings('AccessList', p.accessList)}</ParameterAttributeStruct>`,
          ),
        ),
      );
    case 'AddObject':
    case 'DeleteObject':
      return rpc(m.name, w.el('ObjectName', m.objectName) + w.el('ParameterKey', m.parameterKey));
    case 'AddObjectResponse':
      return rpc(m.name, w.el('InstanceNumber', m.instanceNumber) + w.el('Status', m.status));
    case 'Reboot':
    case 'CancelTransfer':
      return rpc(m.name, w.el('CommandKey', m.commandKey));
    case 'Download':
      return rpc(
        m.name,
        w.el('CommandKey', m.commandKey) +
          w.el('FileType', m.fileType) +
          w.el('URL', m.url) +
          w.el('Username', m.username) +
          w.el('Password', m.password) +
          w.el('FileSize', m.fileSize) +
          w.el('TargetFileName', m.targetFileName) +
          w.el('DelaySeconds', m.delaySeconds) +
          w.el('SuccessURL', m.successURL) +
          w.el('FailureURL', m.failureURL),
      );
    case 'DownloadResponse':
    case 'UploadResponse':
      return rpc(m.name, w.el('Status', m.status) + w.el('StartTime', m.startTime) + w.el('CompleteTime', m.completeTime));
    case 'Upload':
      return rpc(
        m.name,
        w.el('CommandKey', m.commandKey) +
          w.el('FileType', m.fileType) +
          w.el('URL', m.url) +
          w.el('Username', m.username) +
          w.el('Password', m.password) +
          w.el('DelaySeconds', m.delaySeconds),
      );
    case 'ScheduleInform':
      return rpc(m.name, w.el('DelaySeconds', m.delaySeconds) + w.el('CommandKey', m.commandKey));
    case 'ScheduleDownload':
      return rpc(
        m.name,
        w.el('CommandKey', m.commandKey) +
          w.el('FileType', m.fileType) +
          w.el('URL', m.url) +
          w.el('Username', m.username) +
          w.el('Password', m.password) +
          w.el('FileSize', m.fileSize) +
          w.el('TargetFileName', m.targetFileName) +
          w.array(
            'TimeWindowList',
            'cwmp:TimeWindowStruct',
            m.timeWindowList.map(
              (t) =>
                `<TimeWindowStruct>${w.el('WindowStart', t.windowStart)}${w.el('WindowEnd', t.windowEnd)}` +
                `${w.el('WindowMode', t.windowMode)}${w.el('UserMessage', t.userMessage)}${w.el('MaxRetries', t.maxRetries)}</TimeWindowStruct>`,
            ),
          ),
      );
    case 'GetQueuedTransfersResponse':
      return rpc(
        m.name,
        w.array(
          'TransferList',
          'cwmp:QueuedTransferStruct',
          m.transferList.map((t) => `<QueuedTransferStruct>${w.el('CommandKey', t.commandKey)}${w.el('State', t.state)}</QueuedTransferStruct>`),
        ),
      );
    case 'GetAllQueuedTransfersResponse':
      return rpc(
        m.name,
        w.array(
          'TransferList',
          'cwmp:AllQueuedTransferStruct',
          m.transferList.map(
            (t) =>
              `<AllQueuedTransferStruct>${w.el('CommandKey', t.commandKey)}${w.el('State', t.state)}` +
              `${w.el('IsDownload', t.isDownload)}${w.el('FileType', t.fileType)}${w.el('FileSize', t.fileSize)}` +
              `${w.el('TargetFileName', t.targetFileName)}</AllQueuedTransferStruct>`,
          ),
        ),
      );
    case 'ChangeDUState':
      return rpc(m.name, m.operations.map((o) => w.operation(o)).join('') + w.el('CommandKey', m.commandKey));
    case 'Fault':
      return (
        `<soap-env:Fault>${w.el('faultcode', m.faultcode)}${w.el('faultstring', m.faultstring)}<detail><cwmp:Fault>` +
        w.el('FaultCode', m.detail.faultCode) +
        w.el('FaultString', m.detail.faultString) +
        m.detail.setParameterValuesFault
          .map(
            (f) =>
              `<SetParameterValuesFault>${w.el('ParameterName', f.parameterName)}${w.el('FaultCode', f.faultCode)}` +
              `${w.el('FaultString', f.faultString)}</SetParameterValuesFault>`,
          )
          .join('') +
        '</cwmp:Fault></detail></soap-env:Fault>'
      );
    case 'GetRPCMethods':
    case 'TransferCompleteResponse':
    case 'AutonomousTransferCompleteResponse':
    case 'RequestDownloadResponse':
    case 'DUStateChangeCompleteResponse':
    case 'AutonomousDUStateChangeCompleteResponse':
    case 'SetParameterAttributesResponse':
    case 'RebootResponse':
    case 'FactoryReset':
    case 'FactoryResetResponse':
    case 'ScheduleInformResponse':
    case 'ScheduleDownloadResponse':
    case 'CancelTransferResponse':
    case 'GetQueuedTransfers':
    case 'GetAllQueuedTransfers':
    case 'ChangeDUStateResponse':
      return rpc(m.name);
    default:
      return assertNever(m);
  }
}

function assertNever(x: never): never {
  throw new CwmpEncodeError('INVALID_VALUE', `unknown message ${JSON.stringify(x)}`);
}
