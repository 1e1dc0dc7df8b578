import { DEFAULT_PAGE_LIMIT } from '../store/device-store.js';
import type { TaskStatus } from '../store/types.js';
import type { TaskQueue } from '../store/device-store.js';
import type { NbiContext } from './context.js';
import { NbiConflictError, NbiNotFoundError } from './errors.js';
import { defineRoute } from './route-table.js';
import type { RouteDef } from './route-table.js';
import { TaskListQuery, TaskPageSchema, TaskSchema } from './schemas.js';
import { taskView } from './views.js';

const FINISHED: readonly TaskStatus[] = ['done', 'fault', 'cancelled'];
const ID = { id: 'task id' };

export function taskRoutes(ctx: NbiContext<TaskQueue>): RouteDef[] {
  const { store } = ctx;
  return [
    defineRoute({
      method: 'get',
      path: '/tasks',
      tag: 'tasks',
      summary: 'List tasks (by device and status), in queue order',
      query: TaskListQuery,
      responses: { 200: { description: 'a page of tasks', schema: TaskPageSchema } },
      async handler({ query }) {
        const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
        const offset = query.offset ?? 0;
        const page = await store.listTasks(
          { ...(query.deviceId !== undefined ? { deviceId: query.deviceId } : {}), ...(query.status?.length ? { status: query.status } : {}) },
          { limit, offset },
        );
        return { status: 200, body: { items: page.items.map(taskView), total: page.total, limit, offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tasks/{id}',
      tag: 'tasks',
      summary: 'One task with its status, result or fault',
      params: ID,
      responses: { 200: { description: 'the task', schema: TaskSchema } },
      async handler({ params }) {
        const task = await store.getTask(params.id as string);
        if (!task) throw new NbiNotFoundError('task', params.id as string);
        return { status: 200, body: taskView(task) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/tasks/{id}',
      tag: 'tasks',
      summary: 'Cancel a pending or running task (409 once it finished)',
      errors: [409],
      params: ID,
      responses: { 200: { description: 'the cancelled task', schema: TaskSchema } },
      async handler({ params }) {
        const id = params.id as string;
        const before = await store.getTask(id);
        if (!before) throw new NbiNotFoundError('task', id);
        const finished = (status: TaskStatus) => new NbiConflictError(`task ${id} already finished (${status})`, { details: { status } });
        if (FINISHED.includes(before.status)) throw finished(before.status);
        const after = await store.cancelTask(id, ctx.clock());
        if (!after) throw new NbiNotFoundError('task', id);
        // It finished between the read and the cancel.
        if (after.status !== 'cancelled') throw finished(after.status);
        return { status: 200, body: taskView(after) };
      },
    }),
  ];
}
