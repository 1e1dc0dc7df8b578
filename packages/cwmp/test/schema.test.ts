// Every message the codec builds must validate against the official BBF schema of each CWMP
// version that defines it. xmllint runs offline: a catalog maps the SOAP schema URLs the BBF
// files import to small local schemas (fixtures/schema).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  CWMP_NAMESPACES,
  CWMP_VERSIONS,
  encode,
  type CwmpHeader,
  type CwmpMethodName,
  type CwmpVersion,
} from '../src/index.js';
import { SAMPLES } from './samples.js';

const BBF_DIR = fileURLToPath(new URL('../../../../shared/data/bbf/', import.meta.url));
const CATALOG = fileURLToPath(new URL('../fixtures/schema/catalog.xml', import.meta.url));
const INSTALL_HINT = 'xmllint is required for the schema tests: apt-get install -y libxml2-utils';

const NAMES = Object.keys(SAMPLES) as CwmpMethodName[];

function xsdFile(v: CwmpVersion): string {
  return join(BBF_DIR, `cwmp-1-${v.split('.')[1]}.xsd`);
}

// 1.3 and 1.4 include cwmp-1-2.xsd, so RPC elements are looked up there.
function definesElement(v: CwmpVersion, name: CwmpMethodName): boolean {
  if (name === 'Fault') return true;
  const file = v === '1.3' || v === '1.4' ? xsdFile('1.2') : xsdFile(v);
  return readFileSync(file, 'utf8').includes(`<xs:element name="${name}">`);
}

function headerFor(v: CwmpVersion): CwmpHeader {
  const h: CwmpHeader = { id: 'id-1', holdRequests: true };
  if (v === '1.3' || v === '1.4') h.sessionTimeout = 30;
  if (v === '1.4') {
    h.supportedCWMPVersions = ['1.0', '1.1', '1.2', '1.3', '1.4'];
    h.useCWMPVersion = '1.4';
  }
  return h;
}

interface Outcome {
  ok: boolean;
  errors: string[];
}

/** One xmllint run per version over all files; per-file outcome from its report lines. */
function xmllint(xsd: string, files: string[]): Map<string, Outcome> {
  const run = spawnSync('xmllint', ['--nonet', '--noout', '--schema', xsd, ...files], {
    env: { ...process.env, XML_CATALOG_FILES: CATALOG },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error) throw new Error(`${INSTALL_HINT} (${run.error.message})`);
  const out = `${run.stdout}\n${run.stderr}`;
  if (/failed to compile|WXS schema .* failed/i.test(out)) throw new Error(`schema did not compile:\n${out}`);
  const result = new Map<string, Outcome>();
  for (const f of files) {
    const lines = out.split('\n').filter((l) => l.startsWith(f));
    result.set(f, {
      ok: lines.some((l) => l === `${f} validates`),
      errors: lines.filter((l) => l !== `${f} validates`),
    });
  }
  return result;
}

let dir: string;
const outcomes = new Map<string, Outcome>();
const key = (name: string, v: string): string => `${name}@${v}`;

beforeAll(() => {
  const probe = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`${INSTALL_HINT} (${probe.error.message})`);
  dir = mkdtempSync(join(tmpdir(), 'cwmp-xsd-'));
  for (const v of CWMP_VERSIONS) {
    const files: string[] = [];
    for (const name of NAMES) {
      if (!definesElement(v, name)) continue;
      const file = join(dir, `${name}-${v}.xml`);
      const xml = encode(
        { cwmpNamespace: CWMP_NAMESPACES[v], header: headerFor(v), body: SAMPLES[name] },
        { base64Type: 'base64Binary' },
      );
      writeFileSync(file, xml);
      files.push(file);
    }
    for (const [file, outcome] of xmllint(xsdFile(v), files)) {
      const name = file.slice(dir.length + 1).replace(/-1\.\d\.xml$/, '');
      outcomes.set(key(name, v), outcome);
    }
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('encoded messages validate against the BBF cwmp XSDs', () => {
  test.each(NAMES)('%s', (name) => {
    const checked = CWMP_VERSIONS.filter((v) => outcomes.has(key(name, v)));
    // Every message exists in cwmp-1-2 and later.
    expect(checked).toEqual(expect.arrayContaining(['1.2', '1.3', '1.4']));
    for (const v of checked) {
      expect({ version: v, ...outcomes.get(key(name, v)) }).toEqual({ version: v, ok: true, errors: [] });
    }
  });

  test('messages introduced in 1.2 are not valid 1.0 messages (the schema set is really applied)', () => {
    expect(definesElement('1.0', 'ChangeDUState')).toBe(false);
    const file = join(dir, 'ChangeDUState-as-1.0.xml');
    writeFileSync(
      file,
      encode({ cwmpNamespace: CWMP_NAMESPACES['1.0'], header: { id: 'x' }, body: SAMPLES.ChangeDUState }),
    );
    expect(xmllint(xsdFile('1.0'), [file]).get(file)?.ok).toBe(false);
  });

  test('default base64 xsi:type is xsd:base64 (CPE practice), which schema validators cannot resolve', () => {
    const env = { cwmpNamespace: CWMP_NAMESPACES['1.2'], header: { id: 'x' }, body: SAMPLES.SetParameterValues };
    expect(encode(env)).toContain('xsi:type="xsd:base64"');
    const file = join(dir, 'spv-default-base64.xml');
    writeFileSync(file, encode(env));
    const outcome = xmllint(xsdFile('1.2'), [file]).get(file);
    expect(outcome?.ok).toBe(false);
    expect(outcome?.errors.join('\n')).toContain('base64');
  });
});
