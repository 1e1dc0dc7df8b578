import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { childLogger, createLogger, REDACTED } from './logger.js';

/** A destination stream that keeps what pino writes, split into lines. */
function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, text, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with service, level word, ISO time and message', () => {
    const out = capture();
    createLogger({ service: 'cwmp-gateway', destination: out.stream }).info({ rpc: 'Inform' }, 'session opened');
    const [line] = out.lines();
    expect(line).toMatchObject({ service: 'cwmp-gateway', level: 'info', msg: 'session opened', rpc: 'Inform', pid: process.pid });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger({ service: 's', level: 'warn', destination: out.stream });
    log.info('dropped');
    log.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
  });

  it('censors password, secret and authorization fields at any of the first three levels', () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream, redact: ['device.credentials.key'] });
    log.info(
      {
        password: 'pw-top',
        secret: 'secret-top',
        req: { headers: { authorization: 'Digest username="cpe", response="abc123"' } },
        cpe: { ConnectionRequestPassword: 'crp-value', ConnectionRequestUsername: 'cru' },
        device: { credentials: { key: 'key-value' } },
      },
      'inform',
    );
    const text = out.text();
    for (const leaked of ['pw-top', 'secret-top', 'abc123', 'crp-value', 'key-value']) expect(text).not.toContain(leaked);
    const [line] = out.lines();
    expect(line).toMatchObject({
      password: REDACTED,
      secret: REDACTED,
      req: { headers: { authorization: REDACTED } },
      cpe: { ConnectionRequestPassword: REDACTED, ConnectionRequestUsername: 'cru' },
      device: { credentials: { key: REDACTED } },
    });
  });

  it('child loggers carry deviceId, sessionId and requestId, leaving unset ones out', () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream });
    const session = childLogger(log, { deviceId: '00D09E-IGD-123', sessionId: 'sess-1', requestId: undefined });
    session.info('rpc sent');
    childLogger(session, { requestId: 'req-9' }).info({ password: 'nope' }, 'poke');
    const [first, second] = out.lines();
    expect(first).toMatchObject({ service: 's', deviceId: '00D09E-IGD-123', sessionId: 'sess-1', msg: 'rpc sent' });
    expect(first).not.toHaveProperty('requestId');
    expect(second).toMatchObject({ deviceId: '00D09E-IGD-123', sessionId: 'sess-1', requestId: 'req-9', password: REDACTED });
  });

  it('pretty output is human-readable text, still redacted', () => {
    const out = capture();
    createLogger({ service: 'acs', pretty: true, destination: out.stream }).info({ password: 'pw-pretty' }, 'hello operator');
    const text = out.text();
    expect(text).toContain('hello operator');
    expect(text).toContain('INFO');
    expect(text).not.toContain('pw-pretty');
    expect(() => JSON.parse(text)).toThrow();
  });
});
