import { hostname } from 'node:os';
import { trace } from '@opentelemetry/api';
import { pino, stdTimeFunctions, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** Service name, present on every line as `service`. */
  service: string;
  /** Default `info`. */
  level?: LogLevel;
  /** Human-readable colour output for a terminal (development); JSON lines otherwise. */
  pretty?: boolean;
  /** Where lines go (default stdout), pretty or not; tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** More paths to censor, in pino's redact syntax (`'device.credentials.key'`). */
  redact?: string[];
}

/** Correlation fields the services put on child loggers. */
export interface LogContext {
  deviceId?: string;
  sessionId?: string;
  requestId?: string;
}

// Field names whose values must never reach a log line, wherever they sit (top level, or one or
// two objects deep, e.g. `req.headers.authorization`). TR-069 parameter names included verbatim.
const SENSITIVE_FIELDS = [
  'password',
  'Password',
  'secret',
  'authorization',
  'Authorization',
  'token',
  'ConnectionRequestPassword',
  'STUNPassword',
  'XMPPPassword',
];
export const REDACTED = '[REDACTED]';

function redactPaths(extra: string[]): string[] {
  return [...SENSITIVE_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]), ...extra];
}

/**
 * A pino logger: JSON lines with `service`, ISO `time`, `level` as a word, the active trace and
 * span ids (`traceId`, `spanId`) when a span is active, and secrets censored.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.pretty
    ? // Colours only on a terminal; a stream given by the caller gets plain text.
      pretty({ colorize: options.destination === undefined && process.stdout.isTTY, sync: true, destination: options.destination ?? 1 })
    : options.destination;
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid, hostname: hostname() },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(options.redact ?? []), censor: REDACTED },
      // Ties each line to the trace it was written in, so logs and traces can be joined.
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
      },
    },
    destination,
  );
}

/** A child logger carrying the correlation fields that are set (undefined ones are left out). */
export function childLogger(logger: Logger, context: LogContext): Logger {
  const bindings = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
  return logger.child(bindings);
}
