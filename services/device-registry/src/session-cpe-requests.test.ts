// Requests the CPE makes in a session (GetRPCMethods, RequestDownload, Kicked, transfers, unknown ones).
import { describe, expect, it } from '@jest/globals';
import { ACS_METHODS } from './cpe-requests.js';
import { f, freshFixtureEachTest, ID } from './session.fixture.js';

freshFixtureEachTest();

describe('sessionCpeRequest', () => {
  it('answers GetRPCMethods with our list, the optional requests with their empty response, and unknown methods with 8000', async () => {
    expect(await f.registry.cpeRequest({ sessionId: 's1', deviceId: ID, request: { name: 'GetRPCMethods' } })).toEqual({
      response: { name: 'GetRPCMethodsResponse', methodList: [...ACS_METHODS] },
    });
    expect(await f.registry.cpeRequest({ sessionId: 's1', deviceId: ID, request: { name: 'RequestDownload', fileType: '1 Firmware Upgrade Image', fileTypeArg: [] } })).toEqual({
      response: { name: 'RequestDownloadResponse' },
    });
    expect(await f.registry.cpeRequest({ sessionId: 's1', deviceId: ID, request: { name: 'Kicked', command: 'c', referer: 'r', arg: 'a', next: 'http://lan/next' } })).toEqual({
      response: { name: 'KickedResponse', nextURL: 'http://lan/next' },
    });
    const atc = await f.registry.cpeRequest({
      sessionId: 's1',
      deviceId: ID,
      request: {
        name: 'AutonomousTransferComplete',
        announceURL: '',
        transferURL: 'http://x/fw',
        isDownload: true,
        fileType: '1 Firmware Upgrade Image',
        fileSize: 1,
        targetFileName: '',
        faultStruct: { faultCode: 9010, faultString: 'failed' },
        startTime: '',
        completeTime: '',
      },
    });
    expect(atc).toEqual({ response: { name: 'AutonomousTransferCompleteResponse' } });
    expect((await f.store.listFaults({ deviceId: ID })).items[0]).toMatchObject({ code: '9010', taskId: null });
    expect(await f.registry.cpeRequest({ sessionId: 's1', deviceId: ID, request: { name: 'DUStateChangeComplete', results: [], commandKey: 'k' } })).toEqual({
      response: { name: 'DUStateChangeCompleteResponse' },
    });
    const unknown = await f.registry.cpeRequest({ sessionId: 's1', deviceId: ID, request: { name: 'X_Vendor_Thing' } as never });
    expect(unknown).toEqual({ fault: { code: 8000, message: 'Method not supported' } });
  });
});
