// Faults: what went wrong on a device or task, as listed and retried through the NBI.
import { z } from 'zod';
import { epochMs, pageOf, pageQuery } from './common.js';
import { named } from './registry.js';

export const FaultListQuery = z.strictObject({
  deviceId: z.string().optional(),
  taskId: z.string().optional(),
  ...pageQuery,
});

export const FaultSchema = named(
  'Fault',
  z.object({
    id: z.string(),
    deviceId: z.string(),
    taskId: z.string().nullable(),
    code: z.string(),
    message: z.string(),
    detail: z.unknown(),
    retries: z.number().int(),
    createdAt: epochMs,
    updatedAt: epochMs,
  }),
);

export const FaultPageSchema = pageOf('FaultPage', FaultSchema);
