import { DEFAULT_PAGE_LIMIT } from '../store/device-store.js';
import type { FaultLog } from '../store/device-store.js';
import type { NbiContext } from './context.js';
import { NbiNotFoundError } from './errors.js';
import { defineRoute } from './route-table.js';
import type { RouteDef } from './route-table.js';
import { FaultListQuery, FaultPageSchema, FaultSchema } from './schemas.js';

const ID = { id: 'fault id' };

export function faultRoutes(ctx: NbiContext<FaultLog>): RouteDef[] {
  const { store } = ctx;
  return [
    defineRoute({
      method: 'get',
      path: '/faults',
      tag: 'faults',
      summary: 'List faults (by device or task), newest first',
      query: FaultListQuery,
      responses: { 200: { description: 'a page of faults', schema: FaultPageSchema } },
      async handler({ query }) {
        const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
        const offset = query.offset ?? 0;
        const page = await store.listFaults(
          { ...(query.deviceId !== undefined ? { deviceId: query.deviceId } : {}), ...(query.taskId !== undefined ? { taskId: query.taskId } : {}) },
          { limit, offset },
        );
        return { status: 200, body: { items: page.items, total: page.total, limit, offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/faults/{id}',
      tag: 'faults',
      summary: 'One fault',
      params: ID,
      responses: { 200: { description: 'the fault', schema: FaultSchema } },
      async handler({ params }) {
        const fault = await store.getFault(params.id as string);
        if (!fault) throw new NbiNotFoundError('fault', params.id as string);
        return { status: 200, body: fault };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/faults/{id}/retry',
      tag: 'faults',
      summary: 'Retry: requeue the faulted task (attempts reset) and count the retry',
      params: ID,
      responses: { 200: { description: 'the fault with its retry counted', schema: FaultSchema } },
      async handler({ params }) {
        const fault = await store.retryFault(params.id as string, ctx.clock());
        if (!fault) throw new NbiNotFoundError('fault', params.id as string);
        return { status: 200, body: fault };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/faults/{id}',
      tag: 'faults',
      summary: 'Clear a fault',
      params: ID,
      responses: { 204: { description: 'cleared' } },
      async handler({ params }) {
        if (!(await store.deleteFault(params.id as string))) throw new NbiNotFoundError('fault', params.id as string);
        return { status: 204 };
      },
    }),
  ];
}
