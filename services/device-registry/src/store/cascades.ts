// What a delete takes with it, decided here once so the two adapters cannot drift apart.

/**
 * What goes with a device, in the order adapters delete it: dependents first, the device last, so that a delete
 * cut short where there is no transaction (MongoDB) leaves the device there to be deleted again.
 */
export const DEVICE_DEPENDENTS = ['parameters', 'tasks', 'faults', 'deviceCredentials'] as const;

/** What goes with a device type: the credentials scoped to it (its devices and their own credentials stay). */
export const DEVICE_TYPE_DEPENDENTS = ['typeCredentials'] as const;

/** One delete per dependent, keyed by the lists above: an adapter that forgets one does not compile. */
export type DependentDeletes<Dependents extends readonly string[], R> = Record<Dependents[number], (ownerId: string) => R>;
