import { describe, expect, test } from '@jest/globals';
import { encode, type CwmpEnvelope } from './index.js';

const ns = 'urn:dslforum-org:cwmp-1-0';

describe('encode output shape', () => {
  test('no XML declaration, soap-env/cwmp prefixes, MaxEnvelopes 1 on InformResponse', () => {
    const xml = encode({ cwmpNamespace: ns, header: { id: '1' }, body: { name: 'InformResponse', maxEnvelopes: 1 } });
    expect(xml.startsWith('<soap-env:Envelope ')).toBe(true);
    expect(xml).not.toContain('<?xml');
    expect(xml).toContain('<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap-env:Body>');
  });

  test('arrays carry arrayType with the exact count; Value carries xsi:type', () => {
    const env: CwmpEnvelope = {
      cwmpNamespace: ns,
      header: {},
      body: {
        name: 'SetParameterValues',
        parameterList: [
          { name: 'A.b', value: '1', type: 'unsignedInt' },
          { name: 'A.c', value: 'x', type: 'string' },
          { name: 'A.d', value: 'AQI=', type: 'base64' },
        ],
        parameterKey: 'k',
      },
    };
    const xml = encode(env);
    expect(xml).toContain('<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[3]">');
    expect(xml).toContain('<Value xsi:type="xsd:unsignedInt">1</Value>');
    expect(xml).toContain('<Value xsi:type="xsd:base64">AQI=</Value>');
    expect(encode(env, { base64Type: 'base64Binary' })).toContain('<Value xsi:type="xsd:base64Binary">AQI=</Value>');
    expect(xml.indexOf('</ParameterList>')).toBeLessThan(xml.indexOf('<ParameterKey>'));

    const gpv = encode({ cwmpNamespace: ns, header: {}, body: { name: 'GetParameterValues', parameterNames: [] } });
    expect(gpv).toContain('<ParameterNames soap-enc:arrayType="xsd:string[0]"></ParameterNames>');
  });

  test('text is escaped, CR as a character reference (readers normalise a literal CR away)', () => {
    const xml = encode({ cwmpNamespace: ns, header: {}, body: { name: 'Reboot', commandKey: `<a href="x">&'\r\n` } });
    expect(xml).toContain('<CommandKey>&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#13;\n</CommandKey>');
  });

  test('header elements in schema order with the right mustUnderstand; NoMoreRequests never sent', () => {
    const xml = encode({
      cwmpNamespace: ns,
      header: { id: 'i', holdRequests: true, noMoreRequests: true, sessionTimeout: 30, supportedCWMPVersions: ['1.0', '1.4'], useCWMPVersion: '1.4' },
      body: { name: 'GetRPCMethods' },
    });
    expect(xml).toContain(
      '<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">i</cwmp:ID>' +
        '<cwmp:HoldRequests soap-env:mustUnderstand="1">1</cwmp:HoldRequests>' +
        '<cwmp:SessionTimeout soap-env:mustUnderstand="0">30</cwmp:SessionTimeout>' +
        '<cwmp:SupportedCWMPVersions soap-env:mustUnderstand="0">1.0,1.4</cwmp:SupportedCWMPVersions>' +
        '<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion></soap-env:Header>',
    );
    expect(xml).not.toContain('NoMoreRequests');
  });

  test('ChangeDUState operations carry their concrete xsi:type', () => {
    const xml = encode({
      cwmpNamespace: 'urn:dslforum-org:cwmp-1-2',
      header: {},
      body: { name: 'ChangeDUState', operations: [{ type: 'UninstallOpStruct', uuid: 'u' }], commandKey: '' },
    });
    expect(xml).toContain('<Operations xsi:type="cwmp:UninstallOpStruct"><UUID>u</UUID></Operations><CommandKey></CommandKey>');
  });
});
