import { describe, expect, test } from '@jest/globals';
import { ACS_FAULTS, CPE_FAULTS, decode, encode, faultInfo, makeFault } from './index.js';

describe('fault tables', () => {
  test('ACS faults cover 8000-8006, CPE faults 9000-9032, nothing else', () => {
    expect(Object.keys(ACS_FAULTS).map(Number)).toEqual([8000, 8001, 8002, 8003, 8004, 8005, 8006]);
    expect(Object.keys(CPE_FAULTS).map(Number)).toEqual(Array.from({ length: 33 }, (_, i) => 9000 + i));
  });

  test('Client faults are exactly the argument errors', () => {
    expect(ACS_FAULTS[8003].faultcode).toBe('Client');
    const clientCpe = Object.entries(CPE_FAULTS)
      .filter(([, f]) => f.faultcode === 'Client')
      .map(([k]) => Number(k));
    expect(clientCpe).toEqual([9003, 9005, 9006, 9007, 9008, 9021, 9022, 9023]);
  });

  test('faultInfo knows table codes and not vendor ones', () => {
    expect(faultInfo(9005)?.message).toBe('Invalid parameter name');
    expect(faultInfo(8850)).toBeUndefined();
  });
});

describe('makeFault', () => {
  test('fills faultcode and message from the table', () => {
    expect(makeFault(8000)).toEqual({
      name: 'Fault',
      faultcode: 'Server',
      faultstring: 'CWMP fault',
      detail: { faultCode: 8000, faultString: 'Method not supported', setParameterValuesFault: [] },
    });
  });

  test('custom message, SPV fault list, vendor code', () => {
    const f = makeFault(9003, 'Invalid arguments', [{ parameterName: 'Device.X', faultCode: 9007, faultString: 'bad' }]);
    expect(f.faultcode).toBe('Client');
    expect(f.detail.setParameterValuesFault).toHaveLength(1);
    expect(makeFault(9850).faultcode).toBe('Server');
    expect(makeFault(9850, 'X').detail.faultString).toBe('X');
  });

  test('an 8000 fault echoing an ID survives the wire', () => {
    const xml = encode({ cwmpNamespace: 'urn:dslforum-org:cwmp-1-2', header: { id: 'x-1' }, body: makeFault(8000) });
    const d = decode(xml);
    expect(d.kind === 'fault' && d.envelope).toEqual({
      cwmpNamespace: 'urn:dslforum-org:cwmp-1-2',
      header: { id: 'x-1' },
      body: makeFault(8000),
    });
  });
});
