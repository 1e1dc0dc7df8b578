import type { Download } from '@acs/cwmp';
import type { HttpClient } from 'urllib';

/** Fetches a Download's file and checks its size: the TransferComplete FaultStruct (cwmp-protocol.md §5.2). */
export async function fetchFile(client: HttpClient, d: Download, timeoutMs: number): Promise<{ faultCode: number; faultString: string }> {
  try {
    const res = await client.request(d.url, {
      method: 'GET',
      dataType: 'buffer',
      timeout: timeoutMs,
      // File servers usually want Basic; sent up front when the ACS gave credentials.
      ...(d.username ? { auth: `${d.username}:${d.password}` } : {}),
    });
    if (res.status === 401 || res.status === 403) return { faultCode: 9012, faultString: `file server refused credentials (${res.status})` };
    if (res.status < 200 || res.status > 299) return { faultCode: 9016, faultString: `file server answered ${res.status}` };
    const size = (res.data as Buffer).length;
    if (d.fileSize > 0 && size !== d.fileSize) {
      return { faultCode: 9010, faultString: `got ${size} bytes, expected FileSize ${d.fileSize}` };
    }
    return { faultCode: 0, faultString: '' };
  } catch (e) {
    return { faultCode: 9015, faultString: `cannot contact file server: ${(e as Error).message}` };
  }
}
