import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { CwmpParseError, decode, decodeAsync, DEFAULT_MAX_BYTES, encode, type Decoded } from './index.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

function decoded(input: string | Buffer): Exclude<Decoded, { kind: 'empty' }> {
  const d = decode(input);
  if (d.kind === 'empty') throw new Error('expected a message');
  return d;
}

function parseError(input: string | Buffer, opts?: { maxBytes?: number }): CwmpParseError {
  try {
    decode(input, opts);
  } catch (e) {
    if (e instanceof CwmpParseError) return e;
    throw new Error(`expected CwmpParseError, got ${String(e)}`);
  }
  throw new Error('expected decode to throw');
}

const env = (body: string, header = '', ns = 'urn:dslforum-org:cwmp-1-0'): string =>
  `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="${ns}">` +
  `${header === '' ? '' : `<s:Header>${header}</s:Header>`}<s:Body>${body}</s:Body></s:Envelope>`;

describe('golden fixtures (vendor dialects)', () => {
  test('SOAP-ENV prefixes, cwmp-1-0, TR-098 Inform with arrayType and xsi:type', () => {
    const d = decoded(fixture('inform-soap-env-cwmp-1-0-tr098.xml'));
    expect(d.kind).toBe('request');
    expect(d.version).toBe('1.0');
    expect(d.warnings).toEqual([]);
    expect(d.envelope.cwmpNamespace).toBe('urn:dslforum-org:cwmp-1-0');
    expect(d.envelope.header).toEqual({ id: '3f7c21a0' });
    const b = d.envelope.body;
    if (b.name !== 'Inform') throw new Error(b.name);
    expect(b.deviceId).toEqual({
      manufacturer: 'Northwind Telecom',
      oui: '00259E',
      productClass: 'NW-HG8245',
      serialNumber: '48575443A1B2C3D4',
    });
    expect(b.event).toEqual([
      { eventCode: '1 BOOT', commandKey: '' },
      { eventCode: '4 VALUE CHANGE', commandKey: '' },
      { eventCode: 'M Reboot', commandKey: 'reboot-2291' },
    ]);
    expect(b.maxEnvelopes).toBe(1);
    expect(b.currentTime).toBe('2024-05-17T22:04:51');
    expect(b.retryCount).toBe(2);
    expect(b.parameterList).toHaveLength(8);
    expect(b.parameterList[0]).toEqual({
      name: 'InternetGatewayDevice.DeviceSummary',
      value: 'InternetGatewayDevice:1.4[](Baseline:1, EthernetLAN:1, WiFiLAN:1, ADSLWAN:1, Time:1, IPPing:1)',
      type: 'string',
    });
    expect(b.parameterList[4]).toEqual({
      name: 'InternetGatewayDevice.DeviceInfo.ProvisioningCode',
      value: '',
      type: 'string',
    });
    expect(b.parameterList[6]).toEqual({
      name: 'InternetGatewayDevice.ManagementServer.ParameterKey',
      value: 'cfg&v=3',
      type: 'string',
    });
    expect(b.parameterList[7]?.name).toBe(
      'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.ExternalIPAddress',
    );
  });

  test('soapenv prefixes, cwmp-1-2, TR-181 Inform without Header, XML declaration, self-closed CommandKey', () => {
    const d = decoded(fixture('inform-soapenv-cwmp-1-2-tr181-no-header.xml'));
    expect(d.version).toBe('1.2');
    expect(d.warnings).toEqual([]);
    expect(d.envelope.header).toEqual({});
    expect(d.envelope.header.id).toBeUndefined();
    const b = d.envelope.body;
    if (b.name !== 'Inform') throw new Error(b.name);
    expect(b.deviceId).toEqual({
      manufacturer: 'Lakeside Routers',
      oui: 'E48D8C',
      productClass: 'LR-hAP-ac2',
      serialNumber: 'HD3088VKQ4Z',
    });
    expect(b.event).toEqual([
      { eventCode: '0 BOOTSTRAP', commandKey: '' },
      { eventCode: '1 BOOT', commandKey: '' },
    ]);
    expect(b.currentTime).toBe('2024-06-03T08:41:07.512+02:00');
    expect(b.parameterList).toEqual([
      { name: 'Device.RootDataModelVersion', value: '2.12', type: 'string' },
      { name: 'Device.DeviceInfo.HardwareVersion', value: 'RBD52G-5HacD2HnD', type: 'string' },
      { name: 'Device.DeviceInfo.SoftwareVersion', value: '7.14.3', type: 'string' },
      { name: 'Device.ManagementServer.ParameterKey', value: '', type: 'string' },
      { name: 'Device.ManagementServer.ConnectionRequestURL', value: 'http://[2001:db8::17]:7547/', type: 'string' },
      { name: 'Device.DeviceInfo.UpTime', value: '73', type: 'unsignedInt' },
      { name: 'Device.ManagementServer.PeriodicInformEnable', value: '1', type: 'boolean' },
    ]);
  });

  test('soap prefix, UTF-8 BOM, CWMP 1.4 headers with spaced version list, unicode and 64-bit values', () => {
    const raw = fixture('inform-soap-cwmp-1-2-v1-4-bom.xml');
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    for (const input of [raw, raw.toString('utf8')]) {
      const d = decoded(input);
      expect(d.version).toBe('1.4');
      expect(d.envelope.header).toEqual({
        id: 'inf-7731',
        sessionTimeout: 45,
        supportedCWMPVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'],
      });
      const b = d.envelope.body;
      if (b.name !== 'Inform') throw new Error(b.name);
      expect(b.event.map((e) => e.eventCode)).toEqual(['2 PERIODIC', '7 TRANSFER COMPLETE', 'M Download']);
      expect(b.event[2]?.commandKey).toBe('fw-2024-06');
      expect(b.currentTime).toBe('0001-01-01T00:00:00Z');
      expect(b.parameterList[2]).toEqual({
        name: 'Device.DeviceInfo.FriendlyName',
        value: 'Café – Straße 5 📶',
        type: 'string',
      });
      expect(b.parameterList[4]).toEqual({
        name: 'Device.IP.Interface.1.Stats.BytesReceived',
        value: '18446744073709551000',
        type: 'unsignedLong',
      });
      expect(b.parameterList[5]).toEqual({ name: 'Device.X_00A0C5_Certificate', value: '3q2+7w==', type: 'base64' });
    }
  });

  test('odd prefixes, pretty-printed padding, no arrayType, no xsi:type, CDATA, Value missing, lower-case sessionTimeout', () => {
    const d = decoded(fixture('inform-ns1-untyped-no-arraytype.xml'));
    expect(d.envelope.cwmpNamespace).toBe('urn:dslforum-org:cwmp-1-1');
    // sessionTimeout implies CWMP 1.3 even under a 1-1 namespace.
    expect(d.version).toBe('1.3');
    expect(d.envelope.header).toEqual({ id: '1001', sessionTimeout: 60 });
    const b = d.envelope.body;
    if (b.name !== 'Inform') throw new Error(b.name);
    expect(b.deviceId).toEqual({ manufacturer: '', oui: '0014BF', productClass: '', serialNumber: 'ZX7T00091532' });
    expect(b.event).toEqual([{ eventCode: '6 CONNECTION REQUEST', commandKey: '' }]);
    expect(b.parameterList).toEqual([
      // xsd:string values are never trimmed.
      { name: 'InternetGatewayDevice.DeviceInfo.SoftwareVersion', value: 'ZX-1.0.2 build 7 ', type: 'string' },
      {
        name: 'InternetGatewayDevice.ManagementServer.ConnectionRequestURL',
        value: 'http://10.0.0.2:7547/cr?a=1&b=<2>',
        type: 'string',
      },
      { name: 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval', value: '300', type: 'string' },
      { name: 'InternetGatewayDevice.DeviceInfo.ProvisioningCode', value: '', type: 'string' },
    ]);
    expect(d.warnings).toEqual([
      'Inform: InternetGatewayDevice.DeviceInfo.ProvisioningCode has no Value; read as empty string',
      'Inform: 3 values without xsi:type read as string (first: InternetGatewayDevice.DeviceInfo.SoftwareVersion)',
    ]);
  });

  test('CPE Fault with prefixed faultcode and SetParameterValuesFault list (FaultString optional)', () => {
    const d = decoded(fixture('fault-spv-soap-env-prefixed-faultcode.xml'));
    expect(d.kind).toBe('fault');
    expect(d.envelope.cwmpNamespace).toBe('urn:dslforum-org:cwmp-1-0');
    expect(d.envelope.header).toEqual({ id: 'spv-0007' });
    expect(d.envelope.body).toEqual({
      name: 'Fault',
      faultcode: 'Client',
      faultstring: 'CWMP fault',
      detail: {
        faultCode: 9003,
        faultString: 'Invalid arguments',
        setParameterValuesFault: [
          {
            parameterName: 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel',
            faultCode: 9007,
            faultString: 'channel 15 not permitted here',
          },
          {
            parameterName: 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID',
            faultCode: 9008,
            faultString: '',
          },
        ],
      },
    });
  });

  test('Fault using an undeclared cwmp prefix is still read, with a warning', () => {
    const d = decoded(fixture('fault-undeclared-prefix.xml'));
    expect(d.kind).toBe('fault');
    expect(d.envelope.header.id).toBe('gpn-12');
    expect(d.envelope.body).toEqual({
      name: 'Fault',
      faultcode: 'Server',
      faultstring: 'CWMP fault',
      detail: { faultCode: 9005, faultString: 'Invalid parameter name', setParameterValuesFault: [] },
    });
    expect(d.warnings).toContain('undeclared namespace prefix "cwmp"');
  });

  test('GetParameterValuesResponse: wrong declared count, soapenc:Array, every xsd type, unknown header', () => {
    const d = decoded(fixture('gpv-response-soapenv-cwmp-1-2-typed.xml'));
    expect(d.kind).toBe('response');
    expect(d.notUnderstood).toEqual([]);
    expect(d.envelope.body).toEqual({
      name: 'GetParameterValuesResponse',
      parameterList: [
        { name: 'Device.WiFi.Radio.1.Channel', value: '11', type: 'unsignedInt' },
        { name: 'Device.WiFi.Radio.1.Enable', value: 'false', type: 'boolean' },
        { name: 'Device.Ethernet.Interface.1.Stats.BytesSent', value: '9007199254740993', type: 'unsignedLong' },
        { name: 'Device.DeviceInfo.TemperatureStatus.TemperatureSensor.1.Value', value: '-12', type: 'int' },
        { name: 'Device.Time.CurrentLocalTime', value: '2024-06-03T08:41:07Z', type: 'dateTime' },
        { name: 'Device.X_ACME_Blob', value: 'SGVsbG8=', type: 'base64' },
        { name: 'Device.WiFi.SSID.1.SSID', value: ' my <home> ', type: 'string' },
        { name: 'Device.X_ACME_Ratio', value: '0.5', type: 'string' },
      ],
    });
    expect(d.warnings.some((w) => w.includes('unknown xsi:type "xsd:float"'))).toBe(true);
    expect(d.warnings.some((w) => w.includes('ignored header {urn:example:vendor}Trace'))).toBe(true);
  });

  test('TransferComplete with soap_env prefix, empty ID, deprecated NoMoreRequests', () => {
    const d = decoded(fixture('transfer-complete-soap_env-cwmp-1-1.xml'));
    expect(d.version).toBe('1.1');
    expect(d.envelope.header).toEqual({ id: '', noMoreRequests: false });
    expect(d.envelope.body).toEqual({
      name: 'TransferComplete',
      commandKey: 'fw-2024-06',
      faultStruct: { faultCode: 9010, faultString: 'Download failure: HTTP 404' },
      startTime: '2024-06-03T08:30:02Z',
      completeTime: '2024-06-03T08:33:40Z',
    });
  });

  test('ACS SetParameterValues (as the simulator sees it) with HoldRequests and escaped text', () => {
    const d = decoded(fixture('spv-request-soap-env-cwmp-1-0.xml'));
    expect(d.kind).toBe('request');
    expect(d.envelope.header).toEqual({ id: '6a1f', holdRequests: true });
    expect(d.envelope.body).toEqual({
      name: 'SetParameterValues',
      parameterList: [
        { name: 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval', value: '3600', type: 'unsignedInt' },
        { name: 'InternetGatewayDevice.ManagementServer.PeriodicInformEnable', value: 'true', type: 'boolean' },
        {
          name: 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase',
          value: 'p&ss "w0rd" <x>',
          type: 'string',
        },
      ],
      parameterKey: 'cfg-13',
    });
  });
});

describe('header rules', () => {
  test('cwmp:ID present-but-empty is kept as "" and echoed; absent stays undefined and is not emitted', () => {
    const withEmpty = decoded(env('<cwmp:GetRPCMethods/>', '<cwmp:ID s:mustUnderstand="1"></cwmp:ID>'));
    expect(withEmpty.envelope.header.id).toBe('');
    const reply = encode({
      cwmpNamespace: withEmpty.envelope.cwmpNamespace,
      header: { id: withEmpty.envelope.header.id },
      body: { name: 'GetRPCMethodsResponse', methodList: ['Inform'] },
    });
    expect(reply).toContain('<cwmp:ID soap-env:mustUnderstand="1"></cwmp:ID>');
    expect(decoded(reply).envelope.header).toEqual({ id: '' });

    const without = decoded(env('<cwmp:GetRPCMethods/>'));
    expect(without.envelope.header.id).toBeUndefined();
    const reply2 = encode({ cwmpNamespace: without.envelope.cwmpNamespace, header: {}, body: { name: 'GetRPCMethodsResponse', methodList: [] } });
    expect(reply2).not.toContain('cwmp:ID');
    expect(reply2).not.toContain('Header');
  });

  test('whitespace-padded ID is trimmed', () => {
    expect(decoded(env('<cwmp:GetRPCMethods/>', '<cwmp:ID>\n   abc \n</cwmp:ID>')).envelope.header.id).toBe('abc');
  });

  test('encode uses exactly the namespace the peer used', () => {
    for (const ns of ['urn:dslforum-org:cwmp-1-0', 'urn:dslforum-org:cwmp-1-3', 'urn:dslforum-org:cwmp-1-4']) {
      const xml = encode({ cwmpNamespace: ns, header: { id: '1' }, body: { name: 'InformResponse', maxEnvelopes: 1 } });
      expect(xml).toContain(`xmlns:cwmp="${ns}"`);
      expect(decoded(xml).envelope.cwmpNamespace).toBe(ns);
    }
  });

  test('mustUnderstand is resolved by namespace URI, not by prefix', () => {
    // "enc" is bound to the SOAP encoding namespace: its mustUnderstand is not SOAP's (FreeACS #290).
    const header =
      '<x:Must xmlns:x="urn:x" s:mustUnderstand="1">a</x:Must>' +
      '<x:Fake xmlns:x="urn:x" xmlns:enc="http://schemas.xmlsoap.org/soap/encoding/" enc:mustUnderstand="1">b</x:Fake>' +
      '<x:Optional xmlns:x="urn:x" s:mustUnderstand="false">c</x:Optional>' +
      '<x:True xmlns:x="urn:x" s:mustUnderstand="true">d</x:True>';
    const d = decoded(env('<cwmp:GetRPCMethods/>', header));
    expect(d.notUnderstood).toEqual(['{urn:x}Must', '{urn:x}True']);
  });

  test('HoldRequests accepts 1/0/true/false; invalid values are warned about and ignored', () => {
    const read = (v: string): boolean | undefined =>
      decoded(env('<cwmp:GetRPCMethods/>', `<cwmp:HoldRequests>${v}</cwmp:HoldRequests>`)).envelope.header.holdRequests;
    expect([read('1'), read('0'), read('true'), read('false'), read(' TRUE ')]).toEqual([true, false, true, false, true]);
    expect(read('maybe')).toBeUndefined();
  });

  test('UseCWMPVersion is parsed from an InformResponse', () => {
    const xml = encode({
      cwmpNamespace: 'urn:dslforum-org:cwmp-1-2',
      header: { id: 'inf-7731', useCWMPVersion: '1.4' },
      body: { name: 'InformResponse', maxEnvelopes: 1 },
    });
    expect(xml).toContain('<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>');
    expect(decoded(xml).envelope.header).toEqual({ id: 'inf-7731', useCWMPVersion: '1.4' });
  });
});

describe('empty bodies and errors', () => {
  test('empty, whitespace-only and BOM-only bodies are "empty"', () => {
    for (const input of ['', '  \r\n\t ', Buffer.alloc(0), Buffer.from([0xef, 0xbb, 0xbf]), '\uFEFF\n']) {
      expect(decode(input)).toEqual({ kind: 'empty' });
    }
  });

  test('unknown cwmp method => UNKNOWN_METHOD carrying method and cwmp:ID (for a fault 8000 reply)', () => {
    const e = parseError(env('<cwmp:X_ACME_Frobnicate><A>1</A></cwmp:X_ACME_Frobnicate>', '<cwmp:ID>77</cwmp:ID>'));
    expect(e.code).toBe('UNKNOWN_METHOD');
    expect(e.method).toBe('X_ACME_Frobnicate');
    expect(e.id).toBe('77');
    expect(e.name).toBe('CwmpParseError');
  });

  test('UNKNOWN_METHOD without a header has no id', () => {
    const e = parseError(env('<cwmp:SetVouchers/>'));
    expect(e.code).toBe('UNKNOWN_METHOD');
    expect(e.id).toBeUndefined();
  });

  test('TOO_LARGE is decided before parsing, on UTF-8 bytes', () => {
    const xml = env('<cwmp:GetRPCMethods/>');
    expect(parseError(xml, { maxBytes: 10 }).code).toBe('TOO_LARGE');
    expect(decoded(Buffer.from(xml)).kind).toBe('request');
    // 'é' is two bytes: the character count fits but the byte count does not.
    const padded = `${xml}<!--${'é'.repeat(40)}-->`;
    expect(padded.length).toBeLessThan(Buffer.byteLength(padded));
    expect(parseError(padded, { maxBytes: padded.length }).code).toBe('TOO_LARGE');
    expect(DEFAULT_MAX_BYTES).toBeGreaterThanOrEqual(1024 * 1024);
    expect(parseError('x'.repeat(DEFAULT_MAX_BYTES + 1)).code).toBe('TOO_LARGE');
    // A nonsensical cap falls back to the default instead of disabling the check.
    expect(parseError('x'.repeat(DEFAULT_MAX_BYTES + 1), { maxBytes: Number.NaN }).code).toBe('TOO_LARGE');
    expect(parseError('x'.repeat(DEFAULT_MAX_BYTES + 1), { maxBytes: -1 }).code).toBe('TOO_LARGE');
  });

  test.each([
    ['truncated', env('<cwmp:Reboot><CommandKey>a</CommandKey></cwmp:Reboot>').slice(0, 80), 'MALFORMED_XML'],
    ['not XML', 'hello world', 'MALFORMED_XML'],
    ['mismatched tags', '<a><b></a></b>', 'MALFORMED_XML'],
    ['trailing junk', `${env('<cwmp:GetRPCMethods/>')}junk`, 'MALFORMED_XML'],
    ['not an Envelope', '<html><body>hi</body></html>', 'NOT_SOAP'],
    ['SOAP 1.2 envelope', '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', 'NOT_SOAP'],
    ['no Body', '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>', 'NO_BODY'],
    ['empty Body', env(''), 'NO_BODY'],
    ['Inform without DeviceId', env('<cwmp:Inform><MaxEnvelopes>1</MaxEnvelopes></cwmp:Inform>'), 'INVALID_ARGUMENT'],
    ['non-numeric Status', env('<cwmp:SetParameterValuesResponse><Status>ok</Status></cwmp:SetParameterValuesResponse>'), 'INVALID_ARGUMENT'],
    ['Status out of range', env('<cwmp:AddObjectResponse><InstanceNumber>2</InstanceNumber><Status>7</Status></cwmp:AddObjectResponse>'), 'INVALID_ARGUMENT'],
    ['Notification out of range', env('<cwmp:GetParameterAttributesResponse><ParameterList><ParameterAttributeStruct><Name>a</Name><Notification>9</Notification><AccessList/></ParameterAttributeStruct></ParameterList></cwmp:GetParameterAttributesResponse>'), 'INVALID_ARGUMENT'],
    ['bad boolean', env('<cwmp:GetParameterNames><ParameterPath>a.</ParameterPath><NextLevel>yes</NextLevel></cwmp:GetParameterNames>'), 'INVALID_ARGUMENT'],
    ['Fault without detail', env('<s:Fault><faultcode>Server</faultcode><faultstring>x</faultstring></s:Fault>'), 'INVALID_ARGUMENT'],
  ] as const)('%s => %s', (_label, input, code) => {
    expect(parseError(input).code).toBe(code);
  });

  test('INVALID_ARGUMENT keeps method and id', () => {
    const e = parseError(env('<cwmp:DeleteObjectResponse><Status>x</Status></cwmp:DeleteObjectResponse>', '<cwmp:ID>9</cwmp:ID>'));
    expect([e.code, e.method, e.id]).toEqual(['INVALID_ARGUMENT', 'DeleteObjectResponse', '9']);
  });

  test('MALFORMED_XML carries the parser error as cause', () => {
    const e = parseError('<a><b></a>');
    expect(e.cause).toBeInstanceOf(Error);
  });
});

describe('XML attacks', () => {
  const billionLaughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
    ']><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x>&lol9;</x></s:Body></s:Envelope>';

  test('billion laughs is rejected with DOCTYPE_FORBIDDEN, without expansion', () => {
    const started = performance.now();
    expect(parseError(billionLaughs).code).toBe('DOCTYPE_FORBIDDEN');
    // Secondary sanity check only: rejection happens before any parsing.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test.each([
    ['external entity', '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>'],
    ['lower-case doctype', '<!doctype r><r/>'],
    ['entity declaration alone', '<r><!ENTITY x "y"></r>'],
    ['doctype after BOM and whitespace', '\uFEFF  \n<!DOCTYPE s:Envelope SYSTEM "http://example.net/x.dtd"><r/>'],
  ])('%s => DOCTYPE_FORBIDDEN', (_label, input) => {
    expect(parseError(input).code).toBe('DOCTYPE_FORBIDDEN');
  });
});

describe('character sets (Buffer input)', () => {
  const body = (value: string, decl = ''): string =>
    `${decl}${env(`<cwmp:Reboot><CommandKey>${value}</CommandKey></cwmp:Reboot>`)}`;
  const commandKey = (d: Decoded): string | undefined =>
    d.kind !== 'empty' && d.envelope.body.name === 'Reboot' ? d.envelope.body.commandKey : undefined;

  test('XML declaration encoding is honoured (ISO-8859-1)', () => {
    const bytes = Buffer.from(body('Café', '<?xml version="1.0" encoding="ISO-8859-1"?>'), 'latin1');
    expect(bytes.includes(0xe9)).toBe(true);
    expect(commandKey(decode(bytes))).toBe('Café');
  });

  test('the Content-Type charset wins over the declaration', () => {
    const bytes = Buffer.from(body('Café', '<?xml version="1.0" encoding="UTF-8"?>'), 'latin1');
    expect(commandKey(decode(bytes, { charset: 'iso-8859-1' }))).toBe('Café');
  });

  test('UTF-16LE with BOM', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body('Straße 📶'), 'utf16le')]);
    expect(commandKey(decode(bytes))).toBe('Straße 📶');
  });

  test('unknown charset falls back to UTF-8 with a warning', () => {
    const d = decoded(Buffer.from(body('Café'), 'utf8'));
    expect(commandKey(d)).toBe('Café');
    const d2 = decode(Buffer.from(body('Café'), 'utf8'), { charset: 'x-klingon' });
    expect(commandKey(d2)).toBe('Café');
    expect(d2.kind !== 'empty' && d2.warnings).toEqual(['unknown charset "x-klingon"; read as UTF-8']);
  });
});

test('hostile nesting depth is XML_LIMIT, stopped while parsing', () => {
  const deep = env(`<cwmp:Reboot>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</cwmp:Reboot>`);
  const e = parseError(deep);
  expect(e.code).toBe('XML_LIMIT');
  expect(e.message).toContain('nested deeper than 64');
});

test('several undeclared prefixes are each bound to a placeholder namespace', () => {
  const xml =
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><cwmp:ID>5</cwmp:ID><v:X>1</v:X></s:Header>' +
    '<s:Body><s:Fault><faultcode>Client</faultcode><faultstring>f</faultstring><detail><c2:Fault><FaultCode>9003</FaultCode></c2:Fault></detail></s:Fault></s:Body></s:Envelope>';
  const d = decode(xml);
  if (d.kind !== 'fault') throw new Error(d.kind);
  expect(d.envelope.header.id).toBe('5');
  expect(d.envelope.body.name === 'Fault' && d.envelope.body.detail.faultCode).toBe(9003);
  expect(d.warnings.filter((w) => w.startsWith('undeclared namespace prefix')).sort()).toEqual([
    'undeclared namespace prefix "c2"',
    'undeclared namespace prefix "cwmp"',
    'undeclared namespace prefix "v"',
  ]);
});

describe('parse limits and the yielding decode', () => {
  const gpv = (n: number) =>
    env(
      `<cwmp:GetParameterValuesResponse><ParameterList>${Array.from({ length: n }, (_, i) => `<ParameterValueStruct><Name>Device.X.${i}</Name><Value>v${i}</Value></ParameterValueStruct>`).join('')}</ParameterList></cwmp:GetParameterValuesResponse>`,
    );

  test('decodeAsync gives the same result as decode, and lets other work run while it parses a large body', async () => {
    const xml = gpv(2_000);
    expect(xml.length).toBeGreaterThan(4 * 16 * 1024);
    let ranMeanwhile = false;
    setImmediate(() => {
      ranMeanwhile = true;
    });
    const pending = decodeAsync(xml);
    expect(ranMeanwhile).toBe(false);
    const got = await pending;
    expect(ranMeanwhile).toBe(true);
    expect(got).toEqual(decode(xml));
  });

  test('decodeAsync rejects with the same CwmpParseError codes as decode', async () => {
    await expect(decodeAsync(env('<cwmp:Reboot>' + '<a>'.repeat(70) + '</a>'.repeat(70) + '</cwmp:Reboot>'))).rejects.toMatchObject({ code: 'XML_LIMIT' });
    await expect(decodeAsync('<broken')).rejects.toMatchObject({ code: 'MALFORMED_XML' });
    await expect(decodeAsync('x'.repeat(DEFAULT_MAX_BYTES + 1))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await decodeAsync('  ')).toEqual({ kind: 'empty' });
  });

  test('counts elements and attributes while parsing', () => {
    expect(parseError(env(`<cwmp:Reboot>${'<a/>'.repeat(100_001)}</cwmp:Reboot>`), { maxBytes: 10_000_000 }).message).toContain('more than 100000 elements');
    expect(parseError(env(`<cwmp:Reboot><a ${Array.from({ length: 65 }, (_, i) => `a${i}="1"`).join(' ')}/></cwmp:Reboot>`)).code).toBe('XML_LIMIT');
    expect(decode(env(`<cwmp:Reboot><CommandKey ${Array.from({ length: 64 }, (_, i) => `a${i}="1"`).join(' ')}>k</CommandKey></cwmp:Reboot>`)).kind).toBe('request');
  });

  test('characters XML 1.0 forbids are malformed, literal or as references', () => {
    expect(parseError(env('<cwmp:Reboot><CommandKey>a\u0001</CommandKey></cwmp:Reboot>')).code).toBe('MALFORMED_XML');
    expect(parseError(env('<cwmp:Reboot><CommandKey>a&#1;</CommandKey></cwmp:Reboot>')).code).toBe('MALFORMED_XML');
    expect(parseError(env('<cwmp:Reboot/>', '<cwmp:ID>1&#x1F;</cwmp:ID>')).code).toBe('MALFORMED_XML');
  });

  test('text after the root is malformed; comments and whitespace are not', () => {
    expect(parseError(env('<cwmp:Reboot/>') + 'junk').code).toBe('MALFORMED_XML');
    expect(parseError(env('<cwmp:Reboot/>') + '<again/>').code).toBe('MALFORMED_XML');
    expect(decode(env('<cwmp:Reboot/>') + '\n<!-- c -->\n<?pi x?>\n').kind).toBe('request');
  });
});
