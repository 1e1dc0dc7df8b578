import type { DeviceType, DeviceTypeInput, DeviceTypePatch } from '../store/types.js';
import type { DeviceTypeStore } from '../store/device-store.js';
import type { NbiContext } from './context.js';
import { NbiNotFoundError } from './errors.js';
import { defineRoute } from './route-table.js';
import type { RouteDef } from './route-table.js';
import { DeviceTypeCreateBody, DeviceTypeListSchema, DeviceTypeSchema, DeviceTypeUpdateBody } from './schemas.js';

const ID = { id: 'device type id' };

type DeviceTypeOut = Omit<DeviceType, 'connectionRequestAuth'> & { connectionRequestAuth: { username: string; passwordSet: true; updatedAt: number } | null };

/** Never the sealed password of the type-level connection-request credentials. */
function deviceTypeView(type: DeviceType): DeviceTypeOut {
  const { connectionRequestAuth: auth, ...rest } = type;
  return { ...rest, connectionRequestAuth: auth ? { username: auth.username, passwordSet: true, updatedAt: auth.updatedAt } : null };
}

export function deviceTypeRoutes(ctx: NbiContext<DeviceTypeStore>): RouteDef[] {
  const { store } = ctx;
  return [
    defineRoute({
      method: 'get',
      path: '/device-types',
      tag: 'device-types',
      summary: 'List device types, by name',
      responses: { 200: { description: 'every device type', schema: DeviceTypeListSchema } },
      async handler() {
        return { status: 200, body: { items: (await store.listDeviceTypes()).map(deviceTypeView) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/device-types/{id}',
      tag: 'device-types',
      summary: 'One device type with its match, profile and connection-request policy',
      params: ID,
      responses: { 200: { description: 'the device type', schema: DeviceTypeSchema } },
      async handler({ params }) {
        const type = await store.getDeviceType(params.id as string);
        if (!type) throw new NbiNotFoundError('device type', params.id as string);
        return { status: 200, body: deviceTypeView(type) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/device-types',
      tag: 'device-types',
      summary: 'Create a device type (409 when the name or id is taken)',
      errors: [409],
      body: DeviceTypeCreateBody,
      responses: { 201: { description: 'the new device type', schema: DeviceTypeSchema } },
      async handler({ body }) {
        const type = await store.createDeviceType(body as DeviceTypeInput, ctx.clock());
        return { status: 201, body: deviceTypeView(type), headers: { Location: `/api/v1/device-types/${encodeURIComponent(type.id)}` } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/device-types/{id}',
      tag: 'device-types',
      summary: 'Update a device type: given fields replace the stored ones',
      errors: [409],
      params: ID,
      body: DeviceTypeUpdateBody,
      responses: { 200: { description: 'the updated device type', schema: DeviceTypeSchema } },
      async handler({ params, body }) {
        const type = await store.updateDeviceType(params.id as string, body as DeviceTypePatch, ctx.clock());
        if (!type) throw new NbiNotFoundError('device type', params.id as string);
        return { status: 200, body: deviceTypeView(type) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/device-types/{id}',
      tag: 'device-types',
      summary: 'Delete a device type and its credentials',
      params: ID,
      responses: { 204: { description: 'deleted' } },
      async handler({ params }) {
        if (!(await store.deleteDeviceType(params.id as string))) throw new NbiNotFoundError('device type', params.id as string);
        return { status: 204 };
      },
    }),
  ];
}
