import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SubjectPrefixError } from './errors.js';
import { createSubjects, type ParsedSubject } from './subjects.js';

// Any well-formed Unicode text (no lone surrogates). Cheaper to warm up than fast-check's 'binary' unit.
// Weighted towards the characters that matter to subjects and ids.
const codePoint = fc.oneof(
  fc.constantFrom('.', '*', '>', ' ', '%', '-', '_', '\t', '\u0000'),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)),
);
const anyText = (maxLength = 40) => fc.string({ unit: codePoint, maxLength });

// NATS matching, for checking our wildcards against our concrete subjects.
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const ID = '00259E-HG8245H-4857544300000001';

describe('createSubjects', () => {
  const s = createSubjects();

  it('names every subject under the default acs prefix', () => {
    expect(s.prefix).toBe('acs');
    expect(s.evt.inform(ID)).toBe(`acs.evt.inform.${ID}`);
    expect(s.evt.sessionStarted(ID)).toBe(`acs.evt.session.${ID}.started`);
    expect(s.evt.sessionEnded(ID)).toBe(`acs.evt.session.${ID}.ended`);
    expect(s.evt.taskDone(ID)).toBe(`acs.evt.task.${ID}.done`);
    expect(s.evt.taskFault(ID)).toBe(`acs.evt.task.${ID}.fault`);
    expect(s.evt.deviceRegistered(ID)).toBe(`acs.evt.device.${ID}.registered`);
    expect(s.evt.connreq(ID)).toBe(`acs.evt.connreq.${ID}`);
    expect(s.evt.stunBinding(ID)).toBe(`acs.evt.stun.${ID}.binding`);
    expect(s.stun.credentialsIssue).toBe('acs.stun.credentials.issue');
    expect(s.stun.relay('stun-a')).toBe('acs.stun.relay.stun-a');
    expect(s.cmd.poke).toBe('acs.cmd.poke');
    expect(s.cmd.connreq).toEqual({ http: 'acs.cmd.connreq.http', xmpp: 'acs.cmd.connreq.xmpp', udp: 'acs.cmd.connreq.udp' });
    expect(s.registry).toEqual({
      credentialsVerify: 'acs.registry.credentials.verify',
      informRecord: 'acs.registry.inform.record',
      sessionNext: 'acs.registry.session.next',
      sessionResult: 'acs.registry.session.result',
      sessionCpeRequest: 'acs.registry.session.cpe-request',
      stunDevice: 'acs.registry.stun.device',
      all: 'acs.registry.>',
    });
    expect(s.deadLetter('acs.cmd.poke')).toBe('acs.dlq.cmd.poke');
  });

  it('defines the streams as plain data', () => {
    expect(s.streams.events).toEqual({
      name: 'ACS_EVENTS',
      subjects: ['acs.evt.>'],
      retention: 'limits',
      storage: 'file',
      duplicateWindowMs: 120_000,
      maxAgeMs: 7 * 24 * 3_600_000,
    });
    expect(s.streams.commands).toMatchObject({ name: 'ACS_COMMANDS', subjects: ['acs.cmd.>'], retention: 'workqueue' });
    expect(s.streams.commands.duplicateWindowMs).toBeGreaterThanOrEqual(60_000);
    expect(s.streams.deadLetters).toMatchObject({ name: 'ACS_DEAD_LETTERS', subjects: ['acs.dlq.>'], retention: 'limits' });
    // JSON-clean: can be logged, diffed, or handed to any adapter.
    expect(JSON.parse(JSON.stringify(s.streams))).toEqual(s.streams);
  });

  it('keeps every subject inside exactly one stream, and request/reply subjects in none', () => {
    const streams = Object.values(s.streams);
    const inStreams = (subject: string) => streams.filter((st) => st.subjects.some((p) => matches(p, subject))).length;
    for (const subject of [s.evt.inform(ID), s.evt.sessionEnded(ID), s.evt.connreq(ID), s.cmd.poke, s.cmd.connreq.udp, s.deadLetter(s.cmd.poke)]) {
      expect(inStreams(subject)).toBe(1);
    }
    for (const subject of Object.values(s.registry)) expect(inStreams(subject)).toBe(0);
  });

  it('offers wildcards that match what they say and nothing else', () => {
    const other = 'OTHER-1';
    expect(matches(s.evt.allInforms, s.evt.inform(ID))).toBe(true);
    expect(matches(s.evt.allInforms, s.evt.sessionEnded(ID))).toBe(false);
    expect(matches(s.evt.allSessions, s.evt.sessionStarted(ID))).toBe(true);
    expect(matches(s.evt.allTasks, s.evt.taskFault(ID))).toBe(true);
    expect(matches(s.evt.allDevices, s.evt.deviceRegistered(ID))).toBe(true);
    expect(matches(s.evt.allConnreqs, s.evt.connreq(ID))).toBe(true);
    expect(matches(s.evt.allStunBindings, s.evt.stunBinding(ID))).toBe(true);
    expect(matches(s.evt.all, s.evt.taskDone(ID))).toBe(true);
    expect(matches(s.cmd.all, s.cmd.connreq.xmpp)).toBe(true);
    const mine = [s.evt.inform, s.evt.sessionStarted, s.evt.sessionEnded, s.evt.taskDone, s.evt.taskFault, s.evt.deviceRegistered, s.evt.connreq, s.evt.stunBinding];
    for (const subject of mine) {
      expect(s.evt.ofDevice(ID).some((p) => matches(p, subject(ID)))).toBe(true);
      expect(s.evt.ofDevice(ID).some((p) => matches(p, subject(other)))).toBe(false);
    }
  });

  it('builds valid single-token device subjects from hostile ids and parses them back', () => {
    fc.assert(
      fc.property(anyText(40), (id) => {
        const cases: Array<[string, ParsedSubject]> = [
          [s.evt.inform(id), { kind: 'inform', deviceId: id }],
          [s.evt.connreq(id), { kind: 'connreq', deviceId: id }],
          [s.evt.sessionStarted(id), { kind: 'session.started', deviceId: id }],
          [s.evt.sessionEnded(id), { kind: 'session.ended', deviceId: id }],
          [s.evt.taskDone(id), { kind: 'task.done', deviceId: id }],
          [s.evt.taskFault(id), { kind: 'task.fault', deviceId: id }],
          [s.evt.deviceRegistered(id), { kind: 'device.registered', deviceId: id }],
          [s.evt.stunBinding(id), { kind: 'stun.binding', deviceId: id }],
        ];
        for (const [subject, parsed] of cases) {
          expect(subject).toMatch(SUBJECT);
          expect(s.parse(subject)).toEqual(parsed);
        }
        expect(s.evt.inform(id).split('.')).toHaveLength(4);
      }),
      { numRuns: 200 },
    );
  });

  it('parses commands and dead letters, and returns null for anything else', () => {
    expect(s.parse('acs.cmd.poke')).toEqual({ kind: 'cmd.poke' });
    expect(s.parse('acs.cmd.connreq.udp')).toEqual({ kind: 'cmd.connreq', transport: 'udp' });
    expect(s.parse('acs.dlq.cmd.poke')).toEqual({ kind: 'dead-letter', original: 'acs.cmd.poke' });
    for (const other of ['acs.cmd.connreq.smtp', 'acs.evt.inform.a_ZZ', 'acs.evt.session.x.paused', 'other.evt.inform.x', 'acs.evt.inform.x.y', 'acs', 'acs.registry.session.next']) {
      expect(s.parse(other)).toBeNull();
    }
  });

  it('supports a multi-token tenant prefix and derives stream names from it', () => {
    const t = createSubjects('tenant-1.acs');
    expect(t.cmd.poke).toBe('tenant-1.acs.cmd.poke');
    expect(t.streams.events.name).toBe('TENANT_1_ACS_EVENTS');
    expect(t.streams.commands.subjects).toEqual(['tenant-1.acs.cmd.>']);
    expect(t.parse(t.evt.inform('x.y'))).toEqual({ kind: 'inform', deviceId: 'x.y' });
    expect(t.parse(s.evt.inform('x'))).toBeNull();
  });

  it('refuses prefixes that are not plain subject tokens', () => {
    for (const bad of ['', 'acs.', '.acs', 'a..b', 'a*', 'acs.>', 'a b', 'é']) {
      expect(() => createSubjects(bad)).toThrow(SubjectPrefixError);
    }
  });
});
