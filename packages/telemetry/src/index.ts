export { createLogger, childLogger, REDACTED } from './logger.js';
export type { Logger, LoggerOptions, LogContext, LogLevel } from './logger.js';
export { startTelemetry } from './start-telemetry.js';
export type { Telemetry, TelemetryOptions } from './start-telemetry.js';
export { injectTraceContext, extractTraceContext } from './trace-context.js';
export type { HeaderMap } from './trace-context.js';
export { createMetrics } from './metrics.js';
export type { Metrics, CounterFacade, HistogramFacade, UpDownCounterFacade } from './metrics.js';
