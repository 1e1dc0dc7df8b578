import { describe, expect, it } from '@jest/globals';
import { decodeJson, decodePayload, encodeJson } from './codec.js';
import { ContractValidationError, ERROR_CODES } from './errors.js';
import {
  CONNREQ_OUTCOMES,
  CONNREQ_TRANSPORTS,
  isConnreqTransport,
  parseConnreqEvent,
  parseConnreqHttpCommand,
  parseConnreqUdpCommand,
  parseConnreqXmppCommand,
  parseDeadLetter,
  parseDeviceRegisteredEvent,
  parseErrorReply,
  parseInformEvent,
  parsePokeCommand,
  parseSessionEndedEvent,
  parseSessionStartedEvent,
  parseTaskDoneEvent,
  parseTaskFaultEvent,
} from './payloads.js';
import type { ParseResult } from './validation.js';

const deviceId = '00259E-HG8245H-4857544300000001';
const at = '2026-11-26T07:30:00.000Z';
const creds = { username: 'cruser', password: 'crpass' };

function ok<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.message}`);
  return r.value;
}

function failed<T>(r: ParseResult<T>): ContractValidationError {
  if (r.ok) throw new Error('expected a validation error');
  return r.error;
}

describe('commands', () => {
  it('parses a poke and rejects one without requestId', () => {
    expect(ok(parsePokeCommand({ deviceId, requestId: 'r1' }))).toEqual({ deviceId, requestId: 'r1' });
    const error = failed(parsePokeCommand({ deviceId }));
    expect(error).toBeInstanceOf(ContractValidationError);
    expect(error.code).toBe(ERROR_CODES.INVALID_PAYLOAD);
    expect(error.contract).toBe('PokeCommand');
    expect(error.issues[0]?.path).toEqual(['requestId']);
    expect(error.message).toContain('requestId');
  });

  it('parses an HTTP connection request, defaulting Basic auth off, and refuses https URLs', () => {
    const cmd = ok(parseConnreqHttpCommand({ requestId: 'r1', deviceId, deadline: at, url: 'http://192.0.2.44:7547/crq/q81bd0', credentials: creds }));
    expect(cmd.allowBasicAuth).toBe(false);
    expect(failed(parseConnreqHttpCommand({ requestId: 'r1', deviceId, deadline: at, url: 'https://192.0.2.44/crq' })).issues[0]?.path).toEqual(['url']);
    expect(failed(parseConnreqHttpCommand({ requestId: 'r1', deviceId, deadline: 'tomorrow', url: 'http://h/' })).issues[0]?.path).toEqual(['deadline']);
  });

  it('parses an XMPP connection request to a JID', () => {
    expect(ok(parseConnreqXmppCommand({ requestId: 'r1', deviceId, deadline: at, jid: 'cpe1@xmpp.example.net/cwmp', credentials: creds })).jid).toBe(
      'cpe1@xmpp.example.net/cwmp',
    );
    expect(parseConnreqXmppCommand({ requestId: 'r1', deviceId, deadline: at, jid: 'not a jid', credentials: creds }).ok).toBe(false);
  });

  it('parses a UDP connection request to an IP and port', () => {
    expect(ok(parseConnreqUdpCommand({ requestId: 'r1', deviceId, deadline: at, host: '198.51.100.7', port: 40123, credentials: creds })).port).toBe(40123);
    expect(ok(parseConnreqUdpCommand({ requestId: 'r1', deviceId, deadline: at, host: '2001:db8::1', port: 1, credentials: creds })).host).toBe('2001:db8::1');
    expect(parseConnreqUdpCommand({ requestId: 'r1', deviceId, deadline: at, host: 'cpe.example', port: 1, credentials: creds }).ok).toBe(false);
    expect(parseConnreqUdpCommand({ requestId: 'r1', deviceId, deadline: at, host: '198.51.100.7', port: 70_000, credentials: creds }).ok).toBe(false);
  });

  it('caps connection-request credentials at 256 characters (TR-069)', () => {
    const long = { username: 'u', password: 'p'.repeat(257) };
    expect(parseConnreqXmppCommand({ requestId: 'r1', deviceId, deadline: at, jid: 'a@b', credentials: long }).ok).toBe(false);
  });
});

describe('events', () => {
  it('accepts every connreq outcome of the closed set and nothing else', () => {
    for (const outcome of CONNREQ_OUTCOMES) {
      const transport = outcome === 'no_route' ? 'none' : 'http';
      expect(ok(parseConnreqEvent({ requestId: 'r', deviceId, transport, outcome, latencyMs: 12 })).outcome).toBe(outcome);
    }
    expect(failed(parseConnreqEvent({ requestId: 'r', deviceId, transport: 'http', outcome: 'maybe', latencyMs: 1 })).issues[0]?.path).toEqual(['outcome']);
  });

  it('knows the transports of the closed set and nothing else ("none" is an event value, not a transport)', () => {
    expect(CONNREQ_TRANSPORTS.every((t) => isConnreqTransport(t))).toBe(true);
    for (const other of ['none', 'HTTP', 'smtp', '', 1, undefined]) expect(isConnreqTransport(other)).toBe(false);
  });

  it('ties transport "none" to outcome "no_route"', () => {
    expect(parseConnreqEvent({ requestId: 'r', deviceId, transport: 'none', outcome: 'timeout', latencyMs: 1 }).ok).toBe(false);
    expect(parseConnreqEvent({ requestId: 'r', deviceId, transport: 'udp', outcome: 'no_route', latencyMs: 1 }).ok).toBe(false);
    expect(parseConnreqEvent({ requestId: 'r', deviceId, transport: 'udp', outcome: 'accepted', latencyMs: -1 }).ok).toBe(false);
  });

  it('parses an inform event with TR-069 DeviceIdStruct, EventStruct and ParameterList', () => {
    const inform = {
      deviceId,
      sessionId: 's1',
      receivedAt: at,
      cwmpVersion: '1.2',
      deviceIdStruct: { manufacturer: 'Huawei', oui: '00259E', productClass: 'HG8245H', serialNumber: '4857544300000001' },
      events: [
        { eventCode: '1 BOOT', commandKey: '' },
        { eventCode: 'M Reboot', commandKey: 'reboot-42' },
      ],
      retryCount: 0,
      parameters: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: 'V3R017', type: 'xsd:string' }],
    };
    expect(ok(parseInformEvent(inform))).toEqual(inform);
    expect(failed(parseInformEvent({ ...inform, cwmpVersion: '2.0' })).issues[0]?.path).toEqual(['cwmpVersion']);
    expect(failed(parseInformEvent({ ...inform, events: [{ eventCode: '', commandKey: '' }] })).issues[0]?.path).toEqual(['events', 0, 'eventCode']);
  });

  it('parses session started/ended with what ran', () => {
    expect(ok(parseSessionStartedEvent({ deviceId, sessionId: 's1', startedAt: at, eventCodes: ['6 CONNECTION REQUEST'] })).eventCodes).toEqual([
      '6 CONNECTION REQUEST',
    ]);
    const ended = {
      deviceId,
      sessionId: 's1',
      startedAt: at,
      endedAt: '2026-11-26T07:30:02.500Z',
      durationMs: 2500,
      outcome: 'completed',
      eventCodes: ['2 PERIODIC'],
      rpcs: [
        { name: 'GetParameterValues', taskId: 't1', outcome: 'ok' },
        { name: 'SetParameterValues', taskId: 't2', outcome: 'fault', faultCode: 9007 },
      ],
      tasksDone: ['t1'],
      tasksFaulted: ['t2'],
    };
    expect(ok(parseSessionEndedEvent(ended))).toEqual(ended);
    expect(parseSessionEndedEvent({ ...ended, outcome: 'crashed' }).ok).toBe(false);
  });

  it('parses task done and task fault', () => {
    expect(ok(parseTaskDoneEvent({ deviceId, taskId: 't1', name: 'Reboot', completedAt: at })).name).toBe('Reboot');
    const fault = { deviceId, taskId: 't2', name: 'SetParameterValues', fault: { code: 9007, message: 'Invalid parameter value' }, retries: 1, failedAt: at };
    expect(ok(parseTaskFaultEvent(fault)).fault.code).toBe(9007);
    expect(ok(parseTaskFaultEvent({ ...fault, fault: { code: 'timeout', message: 'no session' } })).fault.code).toBe('timeout');
    expect(parseTaskFaultEvent({ ...fault, retries: -1 }).ok).toBe(false);
  });

  it('parses device registered', () => {
    const e = {
      deviceId,
      deviceIdStruct: { manufacturer: 'Huawei', oui: '00259E', productClass: 'HG8245H', serialNumber: '4857544300000001' },
      deviceType: 'huawei-hg8245h',
      via: 'device_type',
      registeredAt: at,
    };
    expect(ok(parseDeviceRegisteredEvent(e)).via).toBe('device_type');
    expect(parseDeviceRegisteredEvent({ ...e, via: 'magic' }).ok).toBe(false);
  });

  it('parses dead letters and error replies with codes from the catalogue', () => {
    expect(ok(parseDeadLetter({ subject: 'acs.cmd.poke', reason: 'INVALID_PAYLOAD', message: 'bad', payloadBase64: 'e30=', receivedAt: at })).reason).toBe(
      'INVALID_PAYLOAD',
    );
    expect(ok(parseErrorReply({ ok: false, error: { code: 'NOT_FOUND', message: 'no such device' } })).error.code).toBe('NOT_FOUND');
    expect(parseErrorReply({ ok: false, error: { code: 'OOPS', message: '' } }).ok).toBe(false);
  });

  it('never throws on garbage input', () => {
    const parsers = [parsePokeCommand, parseConnreqEvent, parseInformEvent, parseSessionEndedEvent, parseTaskFaultEvent, parseDeadLetter];
    for (const garbage of [null, undefined, 42, 'x', [], {}, { deviceId: {} }, Object.create(null)]) {
      for (const parse of parsers) expect(parse(garbage).ok).toBe(false);
    }
  });
});

describe('JSON codec', () => {
  it('encodes to UTF-8 bytes and decodes with validation', () => {
    const bytes = encodeJson({ deviceId: 'é-1', requestId: 'r' });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(ok(decodePayload(bytes, parsePokeCommand))).toEqual({ deviceId: 'é-1', requestId: 'r' });
  });

  it('turns bad JSON and bad UTF-8 into typed errors', () => {
    const notJson = failed(decodeJson(new TextEncoder().encode('{oops'), 'PokeCommand'));
    expect(notJson.issues[0]?.code).toBe('invalid_json');
    expect(notJson.contract).toBe('PokeCommand');
    expect(failed(decodeJson(new Uint8Array([0xff, 0xfe]))).issues[0]?.code).toBe('invalid_utf8');
    expect(failed(decodePayload(encodeJson({ deviceId: 1 }), parsePokeCommand)).contract).toBe('PokeCommand');
  });
});
