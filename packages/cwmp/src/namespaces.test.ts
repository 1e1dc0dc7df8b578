import { describe, expect, test } from '@jest/globals';
import { CWMP_NAMESPACES, CWMP_VERSIONS, isCwmpNamespace, negotiateVersion, versionFromInform } from './index.js';

describe('versionFromInform', () => {
  const v = (cwmpNamespace: string, header = {}): string => versionFromInform({ cwmpNamespace, header });

  test('namespace alone gives 1.0 / 1.1 / 1.2', () => {
    expect(v('urn:dslforum-org:cwmp-1-0')).toBe('1.0');
    expect(v('urn:dslforum-org:cwmp-1-1')).toBe('1.1');
    expect(v('urn:dslforum-org:cwmp-1-2')).toBe('1.2');
  });

  test('SessionTimeout means 1.3, SupportedCWMPVersions means 1.4', () => {
    expect(v('urn:dslforum-org:cwmp-1-2', { sessionTimeout: 30 })).toBe('1.3');
    expect(v('urn:dslforum-org:cwmp-1-2', { sessionTimeout: 30, supportedCWMPVersions: ['1.4'] })).toBe('1.4');
    expect(v('urn:dslforum-org:cwmp-1-2', { supportedCWMPVersions: [] })).toBe('1.4');
  });

  test('icwmp-style cwmp-1-3 / cwmp-1-4 namespaces count too; unknown higher minors clamp to 1.4', () => {
    expect(v('urn:dslforum-org:cwmp-1-3')).toBe('1.3');
    expect(v('urn:dslforum-org:cwmp-1-4')).toBe('1.4');
    expect(v('urn:dslforum-org:cwmp-1-9')).toBe('1.4');
  });

  test('the highest indication wins (1.3 namespace, 1.4 header)', () => {
    expect(v('urn:dslforum-org:cwmp-1-3', { supportedCWMPVersions: ['1.4'] })).toBe('1.4');
    expect(v('urn:dslforum-org:cwmp-1-4', { sessionTimeout: 5 })).toBe('1.4');
  });
});

describe('negotiateVersion', () => {
  test('picks the highest common version, trimming spaces', () => {
    expect(negotiateVersion(['1.0', ' 1.1', '1.2 ', ' 1.3 ', '1.4'], CWMP_VERSIONS)).toEqual({ use: '1.4' });
    expect(negotiateVersion(['1.0', '1.2'], CWMP_VERSIONS)).toEqual({ use: '1.2' });
    expect(negotiateVersion(['1.4', '1.0'], ['1.0', '1.2'])).toEqual({ use: '1.0' });
  });

  test('ignores garbage entries and higher versions we do not speak', () => {
    expect(negotiateVersion(['2.0', 'x', '', '1.3'], CWMP_VERSIONS)).toEqual({ use: '1.3' });
  });

  test('no common version => fault 8006', () => {
    expect(negotiateVersion(['2.0', '2.1'], CWMP_VERSIONS)).toEqual({ fault: 8006 });
    expect(negotiateVersion([], CWMP_VERSIONS)).toEqual({ fault: 8006 });
  });

  test('without SupportedCWMPVersions there is nothing to negotiate', () => {
    expect(negotiateVersion(undefined, CWMP_VERSIONS)).toEqual({});
  });
});

describe('CWMP_NAMESPACES', () => {
  test('1.3 and 1.4 keep the cwmp-1-2 namespace (as their BBF schemas do)', () => {
    expect(CWMP_NAMESPACES['1.3']).toBe('urn:dslforum-org:cwmp-1-2');
    expect(CWMP_NAMESPACES['1.4']).toBe('urn:dslforum-org:cwmp-1-2');
  });

  test('isCwmpNamespace accepts any cwmp-1-n and nothing else', () => {
    expect(isCwmpNamespace('urn:dslforum-org:cwmp-1-4')).toBe(true);
    expect(isCwmpNamespace('urn:dslforum-org:cwmp-1-')).toBe(false);
    expect(isCwmpNamespace('urn:broadband-forum-org:cwmp:xmppConnReq-1-0')).toBe(false);
    expect(isCwmpNamespace('urn:dslforum-org:cwmp-1-2 ')).toBe(false);
  });
});
