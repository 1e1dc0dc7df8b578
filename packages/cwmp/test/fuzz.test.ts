// Truncated, mutated and random inputs must only ever give a Decoded or a CwmpParseError.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CwmpParseError, decode, encode, type CwmpMethodName } from '../src/index.js';
import { SAMPLES } from './samples.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const seeds: Buffer[] = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => readFileSync(new URL(f, FIXTURES))),
  ...(Object.keys(SAMPLES) as CwmpMethodName[]).map((n) =>
    Buffer.from(encode({ cwmpNamespace: 'urn:dslforum-org:cwmp-1-2', header: { id: 'f' }, body: SAMPLES[n] })),
  ),
];

type Outcome = 'empty' | 'request' | 'response' | 'fault' | `error:${string}`;

/** Decode and classify; anything other than a Decoded or a CwmpParseError fails the test. */
function outcome(input: Buffer | string): Outcome {
  try {
    return decode(input).kind;
  } catch (e) {
    // decode() wraps its own bugs as CwmpParseError too; the fuzzer must still see them.
    if (e instanceof CwmpParseError && !e.message.startsWith('cannot decode message')) return `error:${e.code}`;
    throw new Error(`decode threw ${String(e)} for ${JSON.stringify(input.toString().slice(0, 200))}`);
  }
}

const seedArb = fc.integer({ min: 0, max: seeds.length - 1 }).map((i) => seeds[i] as Buffer);
const markup = fc.constantFrom('<', '>', '&', '</', '/>', '"', "'", '<![CDATA[', ']]>', '<!--', '<?x', '&#0;', '&#xD800;', '&bogus;', '\u0000', 'xmlns:a="b"', '<!DOCTYPE a>', ':', '\uFEFF');

describe('fuzz', () => {
  test('every truncation of every seed', () => {
    const seen = new Set<Outcome>();
    let runs = 0;
    for (const seed of seeds) {
      // Stride keeps this bounded (~1,500 decodes) while hitting every part of the document.
      const stride = Math.max(1, Math.floor(seed.length / 25));
      for (let cut = 0; cut < seed.length; cut += stride) {
        seen.add(outcome(seed.subarray(0, cut)));
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(1000);
    expect(seen).toContain('error:MALFORMED_XML');
    expect(seen).toContain('empty');
  });

  test('byte flips', () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (seed, flips) => {
        const b = Buffer.from(seed);
        for (const [at, byte] of flips) b[at % b.length] = byte;
        outcome(b);
      }),
      { numRuns: 1500 },
    );
  });

  test('insertions of markup and random text', () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.tuple(fc.nat(), fc.oneof(markup, fc.string({ maxLength: 6 }))), { minLength: 1, maxLength: 4 }), (seed, inserts) => {
        let s = seed.toString('utf8');
        for (const [at, text] of inserts) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + text + s.slice(i);
        }
        outcome(s);
      }),
      { numRuns: 1500 },
    );
  });

  test('random strings and random bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))), (input) => {
        outcome(input);
      }),
      { numRuns: 1000 },
    );
  });

  test('random element trees inside a valid envelope', () => {
    const name = fc.constantFrom('Inform', 'ParameterList', 'ParameterValueStruct', 'Name', 'Value', 'Status', 'Event', 'Fault', 'detail', 'x');
    const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 5 }).map((s) => s.replace(/[<&]/g, '')),
        fc.tuple(name, fc.array(tie('node'), { maxLength: 3 })).map(([n, kids]) => `<${n}>${kids.join('')}</${n}>`),
      ),
    })).node;
    fc.assert(
      fc.property(fc.constantFrom('cwmp:', 's:', ''), tree, (prefix, inner) => {
        const body = `<${prefix}Inform>${inner}</${prefix}Inform>`;
        outcome(
          `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><s:Body>${body}</s:Body></s:Envelope>`,
        );
      }),
      { numRuns: 500 },
    );
  });
});
