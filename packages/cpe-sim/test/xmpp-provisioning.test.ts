import { describe, expect, it } from '@jest/globals';
import { provisionXmpp } from '../src/index.js';
import { readXmppConfig, reconnectWaitS, resolveConnectionReference } from '../src/xmpp-config.js';
import { makeCpe } from './support/make-cpe.js';

// Only the data model: a CPE that is never started does no I/O.
const modelOf = (model: 'tr181' | 'tr098') => makeCpe({ acsUrl: 'http://127.0.0.1:9/cwmp/', model }).model;

describe.each([
  ['tr181', 'Device.'],
  ['tr098', 'InternetGatewayDevice.'],
] as const)('XMPP provisioning of a %s CPE', (name, root) => {
  it('advertises XMPP and starts without a connection, ConnReqJabberID read-only with active notification', () => {
    const m = modelOf(name);
    expect(m.getValue(`${root}ManagementServer.SupportedConnReqMethods`)?.split(',')).toContain('XMPP');
    expect(m.getValue(`${root}XMPP.ConnectionNumberOfEntries`)).toBe('0');
    expect(m.getParameterNames(`${root}ManagementServer.ConnReqJabberID`, false)).toMatchObject({ parameterList: [{ writable: false }] });
    expect(m.getParameterAttributes([`${root}ManagementServer.ConnReqJabberID`])).toMatchObject({ parameterList: [{ notification: 2 }] });
    expect(readXmppConfig(m)).toEqual({ state: 'unused' });
  });

  it('takes AddObject of Connection and Server and the SPV an ACS sends, with the BBF defaults', () => {
    const m = modelOf(name);
    const connection = provisionXmpp(m, {
      username: 'cpe1',
      password: 'pw',
      domain: 'acs.test',
      server: { address: '127.0.0.1', port: 15222 },
      allowedJabberIds: ['acs@acs.test'],
    }, 'xmpp-1');
    expect(connection).toBe(`${root}XMPP.Connection.1.`);
    expect(m.getValue(`${root}ManagementServer.ConnReqXMPPConnection`)).toBe(`${root}XMPP.Connection.1`);
    expect(m.getValue(`${root}ManagementServer.ParameterKey`)).toBe('xmpp-1');
    expect(m.getValue(`${connection}ServerNumberOfEntries`)).toBe('1');
    expect(m.getValue(`${connection}KeepAliveInterval`)).toBe('-1');
    for (const readOnly of ['JabberID', 'Status']) {
      expect(m.getParameterNames(`${connection}${readOnly}`, false)).toMatchObject({ parameterList: [{ writable: false }] });
    }
    const cfg = readXmppConfig(m);
    expect(cfg).toMatchObject({
      state: 'ready',
      config: { username: 'cpe1', domain: 'acs.test', resource: 'ConnReq', useTls: true, servers: [{ host: '127.0.0.1', port: 15222 }], retryInitialS: 60 },
    });
    // Provisioning again reuses the instances.
    provisionXmpp(m, { username: 'cpe1', password: 'pw2', domain: 'acs.test', server: { address: '127.0.0.1', port: 15223 } });
    expect(m.getValue(`${root}XMPP.ConnectionNumberOfEntries`)).toBe('1');
    expect(m.getValue(`${connection}Server.1.Port`)).toBe('15223');
  });

  it('without a ServerTable uses the Domain on 5222; disabled and incomplete connections say so', () => {
    const m = modelOf(name);
    const connection = provisionXmpp(m, { username: 'u', password: 'p', domain: 'xmpp.example', resource: 'cwmp' });
    expect(readXmppConfig(m)).toMatchObject({ state: 'ready', config: { resource: 'cwmp', servers: [{ host: 'xmpp.example', port: 5222 }] } });
    m.setParameterValues([{ name: `${connection}Username`, value: '', type: 'string' }], '');
    expect(readXmppConfig(m)).toMatchObject({ state: 'misconfigured' });
    m.setParameterValues([{ name: `${connection}Enable`, value: 'false', type: 'boolean' }], '');
    expect(readXmppConfig(m)).toEqual({ state: 'disabled', connection });
  });
});

describe('XMPP configuration details', () => {
  it('resolves ConnReqXMPPConnection with or without the trailing dot, and only to an existing connection', () => {
    const m = modelOf('tr181');
    provisionXmpp(m, { username: 'u', password: 'p', domain: 'd' });
    expect(resolveConnectionReference(m, 'Device.XMPP.Connection.1')).toBe('Device.XMPP.Connection.1.');
    expect(resolveConnectionReference(m, ' Device.XMPP.Connection.1. ')).toBe('Device.XMPP.Connection.1.');
    expect(resolveConnectionReference(m, 'Device.XMPP.Connection.2')).toBeUndefined();
    expect(resolveConnectionReference(m, 'Device.WiFi.Radio.1')).toBeUndefined();
  });

  it('orders ServerTable rows by Priority, enabled rows only when any is enabled', () => {
    const m = modelOf('tr181');
    const c = provisionXmpp(m, { username: 'u', password: 'p', domain: 'd', server: { address: 'a', port: 1 } });
    m.addObject(`${c}Server.`, '');
    m.addObject(`${c}Server.`, '');
    const set = (row: number, leaf: string, value: string, type: 'string' | 'unsignedInt' | 'boolean') =>
      m.setParameterValues([{ name: `${c}Server.${row}.${leaf}`, value, type }], '');
    set(1, 'Priority', '20', 'unsignedInt');
    set(2, 'ServerAddress', 'b', 'string');
    set(2, 'Priority', '10', 'unsignedInt');
    set(2, 'Enable', 'true', 'boolean');
    set(3, 'ServerAddress', 'c', 'string');
    expect(readXmppConfig(m)).toMatchObject({ config: { servers: [{ host: 'b', port: 5222 }, { host: 'a', port: 1 }] } });
    set(1, 'Enable', 'false', 'boolean');
    set(2, 'Enable', 'false', 'boolean');
    // None enabled: every row with an address, as an ACS that never set Enable expects.
    expect(readXmppConfig(m)).toMatchObject({ config: { servers: [{ host: 'c' }, { host: 'b' }, { host: 'a' }] } });
  });

  it('waits random(0, min(initial·k^(n−1), max)) before the nth reconnection', () => {
    const c = { retryInitialS: 60, retryMultiplier: 2000, retryMaxS: 30720 };
    const top = () => 1;
    expect([1, 2, 3, 10, 11, 15].map((n) => reconnectWaitS(n, c, top))).toEqual([60, 120, 240, 30720, 30720, 30720]);
    expect(reconnectWaitS(4, { retryInitialS: 10, retryMultiplier: 1500, retryMaxS: 20 }, () => 0.5)).toBe(10);
  });
});
