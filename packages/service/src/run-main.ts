import { ConfigError, type Env } from '@acs/config';
import { createLogger, startTelemetry, type Logger, type LoggerOptions, type Telemetry, type TelemetryOptions } from '@acs/telemetry';

/** What `start` built: stopped once, on the first SIGTERM or SIGINT. */
export interface Started {
  /** Stops taking work, lets work in flight end, closes the adapters. */
  stop(): Promise<void>;
  /** Fields of the `<name> ready` log line (addresses, tuning). */
  readonly details?: Record<string, unknown>;
}

export interface MainContext {
  readonly logger: Logger;
  /** Absent when `telemetry` returned undefined. */
  readonly telemetry?: Telemetry;
}

export interface RunMainOptions<C> {
  /** `service` of every log line, `service.name` of traces, prefix of the start-failure message. */
  readonly name: string;
  /** A `defineConfig` result (or anything with its `load`). */
  readonly config: { load(env?: Env): C };
  /** Logger options other than the name; default level `info`, JSON lines. */
  readonly logger?: (config: C) => Omit<LoggerOptions, 'service'>;
  /** Telemetry options other than the name; undefined (or no function): telemetry is not started. */
  readonly telemetry?: (config: C) => Omit<TelemetryOptions, 'serviceName'> | undefined;
  /** Builds the adapters and the service's unit and starts them. */
  start(config: C, context: MainContext): Promise<Started>;
  /** Default `process.env`. */
  readonly env?: Env;
}

/** Exit codes a supervisor can tell apart: a restart will not fix a bad configuration. */
export const EXIT_CODES = { stopped: 0, failed: 1, badConfig: 2 } as const;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The skeleton of a service's `main.ts`: load the configuration (ConfigError: message, exit 2), create the logger,
 * start telemetry, start the service, log `<name> ready`; on the first SIGTERM/SIGINT stop it, shut telemetry down
 * and exit 0 (1 when stop failed). A start that throws prints its stack and exits 1.
 */
export function runMain<C>(options: RunMainOptions<C>): Promise<void> {
  return run(options).catch((error: unknown) => {
    process.stderr.write(`${options.name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT_CODES.failed);
  });
}

async function run<C>(options: RunMainOptions<C>): Promise<void> {
  const config = loadOrExit(options);
  const logger = createLogger({ ...options.logger?.(config), service: options.name });
  const telemetryOptions = options.telemetry?.(config);
  const telemetry = telemetryOptions === undefined ? undefined : startTelemetry({ ...telemetryOptions, serviceName: options.name });
  // Listening before start: a signal that arrives while the service starts stops it as soon as it has started,
  // instead of killing the process with connections half open.
  const signal = firstSignal(logger);
  const started = await options.start(config, { logger, ...(telemetry ? { telemetry } : {}) });
  logger.info(started.details ?? {}, `${options.name} ready`);

  logger.info({ signal: await signal }, 'draining');
  let code: number = EXIT_CODES.stopped;
  await started.stop().catch((err: unknown) => {
    logger.error({ err }, 'stop failed');
    code = EXIT_CODES.failed;
  });
  await telemetry?.shutdown().catch((err: unknown) => logger.warn({ err }, 'telemetry shutdown failed'));
  logger.info('stopped');
  // Reconnect timers of a client whose server is gone must not keep a stopped process alive.
  process.exit(code);
}

function loadOrExit<C>(options: RunMainOptions<C>): C {
  try {
    return options.config.load(options.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_CODES.badConfig);
  }
}

/** Resolves on the first SIGTERM/SIGINT; later ones are logged and ignored (the handler stays, so they cannot kill). */
function firstSignal(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: string) => {
      if (received) {
        logger.warn({ signal }, 'already draining');
        return;
      }
      received = true;
      resolve(signal);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
  });
}
