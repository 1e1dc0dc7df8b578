/** A bug: the worker was used against its contract (started twice, ...). */
export class ConnreqWorkerStateError extends Error {
  override readonly name = 'ConnreqWorkerStateError';
  readonly code = 'CONNREQ_WORKER_STATE' as const;
}

/** Thrown out of a wait cut short by stop(): the command goes back to the stream. Never leaves the worker. */
export class Stopping extends Error {
  override readonly name = 'Stopping';
}
