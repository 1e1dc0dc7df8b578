import type { ConnreqOutcome } from '@acs/contracts';
import type { Logger } from '@acs/telemetry';

/** What one try of a transport can end in (`no_route` is the router's, never a transport's). */
export type TransportOutcome = Exclude<ConnreqOutcome, 'no_route'>;

/** One try, as the transport saw it. CPE and network behaviour is a value here, never an exception. */
export interface PerformResult {
  readonly outcome: TransportOutcome;
  readonly detail?: string | undefined;
  /** True when trying again may end otherwise and cannot harm: the CPE was not reached, or asked us to wait. */
  readonly retryable?: boolean | undefined;
  /** The CPE asked us to wait this long before the next try (HTTP `Retry-After`); the back-off is never shorter. */
  readonly retryAfterMs?: number | undefined;
}

export interface PerformContext {
  /** Aborts (a `TimeoutError`) at `deadline`. stop() does not abort it: a request on the wire is let finish. */
  readonly signal: AbortSignal;
  /** Epoch ms this try must end by: the command's deadline, cut to the consumer's ackWait window. */
  readonly deadline: number;
  /** The worker's logger with the command's `deviceId` and `requestId`. */
  readonly log: Logger;
}

/**
 * The transport's act: one connection request for `command`. A throw is not an outcome: the worker logs it and
 * hands the command back to the stream (redelivered after a pause), as for a bus failure.
 */
export type Perform<C> = (command: C, ctx: PerformContext) => Promise<PerformResult>;
