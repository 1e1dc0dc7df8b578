import { DEFAULT_PAGE_LIMIT } from '../store/device-store.js';
import type { DeviceFilter, DeviceRecords, ParameterTree, TaskQueue } from '../store/device-store.js';
import type { TaskInput } from '../store/types.js';
import { xmppUsernameFor } from '../xmpp/accounts.js';
import type { NbiContext } from './context.js';
import { NbiError, NbiNotFoundError, NbiValidationError } from './errors.js';
import { poke, requireBus } from './poke.js';
import { defineRoute } from './route-table.js';
import type { RouteDef } from './route-table.js';
import {
  ConnectQuery,
  DeviceGetQuery,
  DeviceListQuery,
  DevicePageSchema,
  DeviceSchema,
  PokeQuery,
  PokeResultSchema,
  TagsBody,
  TaskCreateBody,
  TaskCreatedSchema,
  taskExpiry,
} from './schemas.js';
import { deviceView, taskView } from './views.js';

const ID = { id: 'device id (`OUI-ProductClass-Serial`), URL-encoded once more: `%` becomes `%25`' };

export function deviceRoutes(ctx: NbiContext<DeviceRecords & ParameterTree & TaskQueue>): RouteDef[] {
  const { store } = ctx;
  const mustGet = async (id: string) => {
    const device = await store.getDevice(id);
    if (!device) throw new NbiNotFoundError('device', id);
    return device;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/devices',
      tag: 'devices',
      summary: 'List devices (filters, paging, parameter projection)',
      query: DeviceListQuery,
      responses: { 200: { description: 'a page of devices, ordered by id', schema: DevicePageSchema } },
      async handler({ query }) {
        const filter: DeviceFilter = {};
        if (query.id) filter.ids = query.id;
        if (query.serialNumber !== undefined) filter.serialNumber = query.serialNumber;
        if (query.productClass !== undefined) filter.productClass = query.productClass;
        if (query.oui !== undefined) filter.oui = query.oui;
        if (query.deviceTypeId !== undefined) filter.deviceTypeId = query.deviceTypeId;
        if (query.tag) filter.tags = query.tag;
        if (query.lastInformBefore !== undefined) filter.lastInformBefore = query.lastInformBefore;
        if (query.lastInformAfter !== undefined) filter.lastInformFrom = query.lastInformAfter;
        const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
        const offset = query.offset ?? 0;
        const page = await store.listDevices(filter, { limit, offset, ...(query.projection?.length ? { projection: query.projection } : {}) });
        return { status: 200, body: { items: page.items.map(deviceView), total: page.total, limit, offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/devices/{id}',
      tag: 'devices',
      summary: 'One device with its parameters (or the subtree at ?path=)',
      params: ID,
      query: DeviceGetQuery,
      responses: { 200: { description: 'the device and its parameters', schema: DeviceSchema } },
      async handler({ params, query }) {
        const id = params.id as string;
        const device = await mustGet(id);
        const parameters = await store.getParameters(id, query.path);
        if (query.path !== undefined && query.path !== '' && parameters.length === 0) throw new NbiNotFoundError('parameter', query.path);
        return { status: 200, body: deviceView({ ...device, parameters }) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/devices/{id}',
      tag: 'devices',
      summary: 'Forget a device with its parameters, tasks, faults and device credentials',
      params: ID,
      responses: { 204: { description: 'deleted' } },
      async handler({ params }) {
        const id = params.id as string;
        if (!(await store.deleteDevice(id))) throw new NbiNotFoundError('device', id);
        await removeXmppAccount(ctx, id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/devices/{id}/tags',
      tag: 'devices',
      summary: 'Add tags to a device',
      params: ID,
      body: TagsBody,
      responses: { 200: { description: 'the device with its tags', schema: DeviceSchema } },
      async handler({ params, body }) {
        const device = await store.addTags(params.id as string, body.tags, ctx.clock());
        if (!device) throw new NbiNotFoundError('device', params.id as string);
        return { status: 200, body: deviceView(device) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/devices/{id}/tags/{tag}',
      tag: 'devices',
      summary: 'Remove one tag from a device',
      params: { ...ID, tag: 'the tag' },
      responses: { 200: { description: 'the device with its remaining tags', schema: DeviceSchema } },
      async handler({ params }) {
        const id = params.id as string;
        const tag = params.tag as string;
        const device = await mustGet(id);
        if (!device.tags.includes(tag)) throw new NbiNotFoundError('tag', tag);
        const updated = await store.removeTags(id, [tag], ctx.clock());
        if (!updated) throw new NbiNotFoundError('device', id);
        return { status: 200, body: deviceView(updated) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/devices/{id}/tasks',
      tag: 'tasks',
      summary: 'Queue one task or a list of tasks for a device (?connect=true pokes it)',
      params: ID,
      query: ConnectQuery,
      body: TaskCreateBody,
      responses: { 201: { description: 'the queued tasks, in order', schema: TaskCreatedSchema } },
      async handler({ params, query, body }) {
        const id = params.id as string;
        if (query.connect) requireBus(ctx);
        const now = ctx.clock();
        const requests = Array.isArray(body) ? body : [body];
        const inputs = requests.map((t, i) => {
          const expiresAt = taskExpiry(t, now);
          if (expiresAt !== null && expiresAt <= now) {
            throw new NbiValidationError([{ in: 'body', path: Array.isArray(body) ? [i, 'expiresAt'] : ['expiresAt'], message: 'expiresAt is not in the future', code: 'too_small' }]);
          }
          return { type: t.type, args: t.args, expiresAt, ...(t.maxAttempts !== undefined ? { maxAttempts: t.maxAttempts } : {}) } as TaskInput;
        });
        const tasks = await store.createTasks(id, inputs, now);
        try {
          ctx.onTaskCreated?.(id, tasks);
        } catch (err) {
          ctx.logger.warn({ err, deviceId: id }, 'onTaskCreated failed');
        }
        const out: { tasks: ReturnType<typeof taskView>[]; poke?: { requestId: string | null; error?: string } } = { tasks: tasks.map(taskView) };
        if (query.connect) {
          // The tasks are stored: a failed poke must not read as a failed request (a retry would queue them twice).
          try {
            out.poke = { requestId: (await poke(ctx, id, 0)).requestId };
          } catch (err) {
            if (!(err instanceof NbiError)) ctx.logger.error({ err, deviceId: id }, 'poke after task creation failed');
            out.poke = { requestId: null, error: err instanceof NbiError ? err.message : 'the poke could not be sent' };
          }
        }
        return { status: 201, body: out };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/devices/{id}/poke',
      tag: 'devices',
      summary: 'Connection request: ask the device to open a session now (?wait=<s> waits for the outcome and the session start)',
      params: ID,
      query: PokeQuery,
      responses: {
        200: { description: 'the outcome and, when accepted, the session it opened, with latencies', schema: PokeResultSchema },
        202: { description: 'sent, not awaited (no ?wait): the requestId to follow', schema: PokeResultSchema },
        408: { description: '?wait ran out first: what is known so far (the poke goes on)', schema: PokeResultSchema },
      },
      async handler({ params, query, signal }) {
        requireBus(ctx);
        const id = params.id as string;
        await mustGet(id);
        const waitMs = (query.wait ?? 0) * 1_000;
        const result = await poke(ctx, id, waitMs, signal);
        return { status: waitMs === 0 ? 202 : result.timedOut ? 408 : 200, body: result };
      },
    }),
  ];
}

/**
 * The device is gone, so is its XMPP account. Best effort: the device was already deleted, and an account left behind
 * admits no one to the ACS (only the CPE's XMPP login); the failure is logged for the operator to clean up.
 */
async function removeXmppAccount(ctx: NbiContext<unknown>, deviceId: string): Promise<void> {
  if (ctx.xmppAccounts === undefined) return;
  const username = xmppUsernameFor(deviceId);
  try {
    await ctx.xmppAccounts.remove(username);
  } catch (err) {
    ctx.logger.warn({ err, deviceId, username }, 'XMPP account of a deleted device not removed');
  }
}
