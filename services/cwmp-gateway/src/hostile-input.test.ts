// Bodies an outside fuzzer used to stall or crash the gateway (issue 8), as regression tests: each is answered
// 400/413 quickly, is logged once without a stack, and leaves no lock behind, while a normal session carries on.
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEVICE, DEVICE_ID, informXml, startGateways, TestCpe, type Harness } from '../test/support/harness.js';
import { FakeRegistry } from '../test/support/fake-registry.js';

const CREDS = { username: 'cpe1', password: 'Circle Of Life' };
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const inInform = (inner: string, rootAttrs = '') =>
  `<s:Envelope xmlns:s="${SOAP}" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"${rootAttrs}><s:Body><cwmp:Inform>${inner}</cwmp:Inform></s:Body></s:Envelope>`;

// Each legal (or nearly legal) XML that cost seconds to minutes of one blocked event loop before.
const SHAPES: Record<string, { body: string; status: number }> = {
  '5,000 namespace declarations over 20,000 elements': {
    body: inInform(Array.from({ length: 20_000 }, (_, i) => (i % 4 === 0 ? `<a xmlns:p${i}="urn:x:${i}">` : '<a>')).join('') + '</a>'.repeat(20_000)),
    status: 413,
  },
  '5,000 namespace declarations on one element': { body: inInform('', Array.from({ length: 5_000 }, (_, i) => ` xmlns:p${i}="urn:${i}"`).join('')), status: 413 },
  '4,000 undeclared prefixes': { body: inInform(Array.from({ length: 4_000 }, (_, i) => `<q${i}:a/>`).join('')), status: 400 },
  '40,000 attributes': { body: inInform(`<a ${Array.from({ length: 40_000 }, (_, i) => `a${i}="1"`).join(' ')}/>`), status: 413 },
  '400,000 empty elements': { body: inInform('<a/>'.repeat(400_000)), status: 413 },
  '550,000 nesting levels': { body: inInform('<a>'.repeat(550_000) + '</a>'.repeat(550_000)), status: 413 },
  '50,000 comments after the root': { body: inInform('') + '<!-- c -->'.repeat(50_000), status: 400 },
  '50,000 unterminated comments after the root': { body: inInform('') + '<!--'.repeat(50_000), status: 400 },
};

const registryWithCpe = () => new FakeRegistry().addCredential(CREDS.username, { password: CREDS.password, deviceId: DEVICE_ID });

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('hostile XML', () => {
  it('answers each pathological shape 400/413 in well under a second, with credentials, while a session keeps working', async () => {
    harness = await startGateways(1, { registry: registryWithCpe(), settings: { maxBodyBytes: 8 * 1024 * 1024 } });
    const urls = harness.urls;
    const normalSession = async () => {
      const cpe = new TestCpe(urls, CREDS);
      return [(await cpe.open()).status, (await cpe.post('')).status];
    };
    for (const [name, shape] of Object.entries(SHAPES)) {
      const started = Date.now();
      // The attack and a whole normal session at the same time: the session must not wait on it.
      const [res, normal] = await Promise.all([new TestCpe(urls, CREDS).postWithDigest(shape.body), normalSession()]);
      expect({ name, status: res.status, normal }).toEqual({ name, status: shape.status, normal: [200, 204] });
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(harness.logs.lines.filter((l) => l.code === 'INTERNAL')).toEqual([]);
  });

  it('challenges a hostile body without credentials before parsing it', async () => {
    harness = await startGateways(1, { registry: registryWithCpe() });
    const res = await new TestCpe(harness.urls, CREDS).post(SHAPES['550,000 nesting levels']?.body as string);
    expect(res.status).toBe(401);
    expect(harness.logs.lines.filter((l) => l.code === 'XML_LIMIT' || l.code === 'MALFORMED_XML')).toEqual([]);
  });
});

describe('input that answered 500', () => {
  it('refuses a control character in cwmp:ID with 400 before anything is recorded, so the retry gets in', async () => {
    const registry = registryWithCpe();
    harness = await startGateways(1, { registry });
    const cpe = new TestCpe(harness.urls, CREDS);
    const bad = await cpe.open({ inform: informXml().replace('>inf-1<', '>inf-1&#1;<') });
    expect(informXml()).toContain('>inf-1<');
    expect(bad.status).toBe(400);
    expect(harness.logs.withCode('MALFORMED_XML')).toHaveLength(1);
    expect(registry.informs).toHaveLength(0);
    const retry = await new TestCpe(harness.urls, CREDS).open();
    expect(retry.status).toBe(200);
  });

  it('refuses DeviceId fields over 64 characters with 400, logged once without a stack, not counted as a login', async () => {
    harness = await startGateways(1, { registry: registryWithCpe(), settings: { authFailLimit: 1 } });
    const long = informXml({ device: { ...DEVICE, serialNumber: 'S'.repeat(65) } });
    for (const password of ['wrong', 'wrong again']) {
      expect((await new TestCpe(harness.urls, { ...CREDS, password }).open({ inform: long })).status).toBe(400);
    }
    const lines = harness.logs.withCode('INVALID_DEVICE_ID');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.err === undefined || typeof l.err === 'string')).toBe(true);
    expect(harness.logs.lines.filter((l) => l.code === 'INTERNAL' || l.code === 'AUTH_FAILED')).toEqual([]);
    // Not counted: the same source still logs in (authFailLimit 1 would have blocked it).
    expect((await new TestCpe(harness.urls, CREDS).open()).status).toBe(200);
  });
});
