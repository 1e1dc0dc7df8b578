import { deviceIdToParts } from '@acs/contracts';
import { DEFAULT_PAGE_LIMIT } from '../store/device-store.js';
import type { CredentialStore, DeviceRecords, DeviceTypeStore } from '../store/device-store.js';
import { hashForBasic, hashForDigest } from '../secrets.js';
import type { ConnectionRequestAuth, Device } from '../store/types.js';
import type { NbiContext } from './context.js';
import { NbiNotFoundError, NbiValidationError } from './errors.js';
import { defineRoute } from './route-table.js';
import type { RouteDef } from './route-table.js';
import { CredentialCreateBody, CredentialListQuery, CredentialListSchema, CredentialSchema } from './schemas.js';
import { CONNREQ_ID_PREFIX, CONNREQ_TYPE_ID_PREFIX, connreqTypeView, connreqView, credentialView } from './views.js';

export function credentialRoutes(ctx: NbiContext<DeviceRecords & CredentialStore & DeviceTypeStore>): RouteDef[] {
  const { store } = ctx;

  const setConnreqAuth = (device: Device, auth: ConnectionRequestAuth | null) =>
    store.upsertDevice({ id: device.id, oui: device.oui, productClass: device.productClass, serialNumber: device.serialNumber, connectionRequestAuth: auth }, ctx.clock());

  return [
    defineRoute({
      method: 'get',
      path: '/credentials',
      tag: 'credentials',
      summary: 'List credentials: CPE→ACS ones (kind=cpe, default) or connection-request ones (kind=connectionRequest)',
      query: CredentialListQuery,
      responses: { 200: { description: 'credentials without passwords or hashes', schema: CredentialListSchema } },
      async handler({ query }) {
        const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
        const offset = query.offset ?? 0;
        if ((query.kind ?? 'cpe') === 'cpe') {
          const all = await store.listCredentials({
            ...(query.deviceId !== undefined ? { deviceId: query.deviceId } : {}),
            ...(query.deviceTypeId !== undefined ? { deviceTypeId: query.deviceTypeId } : {}),
            ...(query.username !== undefined ? { username: query.username } : {}),
          });
          return { status: 200, body: { items: all.slice(offset, offset + limit).map(credentialView) } };
        }
        let devices: Device[];
        if (query.deviceId !== undefined) {
          const device = await store.getDevice(query.deviceId);
          devices = device ? [device] : [];
        } else if (query.deviceTypeId !== undefined) {
          // The type's own credentials (what devices of the type that have none newer are poked with) come first.
          const type = await store.getDeviceType(query.deviceTypeId);
          const own = type ? connreqTypeView(type) : null;
          devices = (await store.listDevices({ deviceTypeId: query.deviceTypeId }, { limit, offset })).items;
          const items = [...(own && offset === 0 ? [own] : []), ...devices.map(connreqView)].filter(
            (c) => c !== null && (query.username === undefined || c.username === query.username),
          );
          return { status: 200, body: { items } };
        } else {
          throw new NbiValidationError([{ in: 'query', path: ['kind'], message: 'connection-request credentials are listed by deviceId or deviceTypeId', code: 'custom' }]);
        }
        const items = devices.map(connreqView).filter((c) => c !== null && (query.username === undefined || c.username === query.username));
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/credentials',
      tag: 'credentials',
      summary: 'Create a CPE→ACS credential (device or device type), or set connection-request credentials',
      errors: [404, 409],
      body: CredentialCreateBody,
      responses: { 201: { description: 'the credential, without password or hash', schema: CredentialSchema } },
      async handler({ body }) {
        const { scope } = body;
        if (body.kind === 'cpe') {
          if (scope.kind === 'device') {
            try {
              deviceIdToParts(scope.deviceId);
            } catch (cause) {
              throw new NbiValidationError([{ in: 'body', path: ['scope', 'deviceId'], message: 'not a canonical device id (OUI-ProductClass-Serial, escaped)', code: 'custom' }], { cause });
            }
          } else if (!(await store.getDeviceType(scope.deviceTypeId))) {
            throw new NbiNotFoundError('device type', scope.deviceTypeId);
          }
          const credential = await store.createCredential(
            {
              ...(body.id !== undefined ? { id: body.id } : {}),
              username: body.username,
              scope,
              realm: ctx.realm,
              ha1: hashForDigest(body.username, ctx.realm, body.password),
              basicHash: await hashForBasic(body.password),
              ...(body.status !== undefined ? { status: body.status } : {}),
            },
            ctx.clock(),
          );
          return { status: 201, body: credentialView(credential) };
        }
        const now = ctx.clock();
        // Newest wins between the device's and its type's credentials (the poke router compares updatedAt).
        const auth: ConnectionRequestAuth = { username: body.username, passwordSealed: ctx.secretBox.encrypt(body.password), updatedAt: now, source: 'nbi' };
        if (scope.kind === 'device') {
          const device = await store.getDevice(scope.deviceId);
          if (!device) throw new NbiNotFoundError('device', scope.deviceId);
          const { device: updated } = await setConnreqAuth(device, auth);
          return { status: 201, body: connreqView(updated) };
        }
        // Kept on the type (CPEs that leave the factory with them): every device of the type, present or future,
        // is poked with them unless it has newer credentials of its own (set, generated or learned later).
        const type = await store.updateDeviceType(scope.deviceTypeId, { connectionRequestAuth: { username: auth.username, passwordSealed: auth.passwordSealed, updatedAt: now } }, now);
        if (!type) throw new NbiNotFoundError('device type', scope.deviceTypeId);
        return { status: 201, body: connreqTypeView(type) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/credentials/{id}',
      tag: 'credentials',
      summary: 'Delete a CPE→ACS credential, or forget connection-request credentials (id `connreq:<deviceId>` or `connreq-type:<deviceTypeId>`)',
      params: { id: 'credential id, `connreq:<deviceId>` or `connreq-type:<deviceTypeId>`' },
      responses: { 204: { description: 'deleted' } },
      async handler({ params }) {
        const id = params.id as string;
        if (id.startsWith(CONNREQ_TYPE_ID_PREFIX)) {
          const typeId = id.slice(CONNREQ_TYPE_ID_PREFIX.length);
          const type = await store.getDeviceType(typeId);
          if (!type?.connectionRequestAuth) throw new NbiNotFoundError('credential', id);
          await store.updateDeviceType(typeId, { connectionRequestAuth: null }, ctx.clock());
          return { status: 204 };
        }
        if (id.startsWith(CONNREQ_ID_PREFIX)) {
          const device = await store.getDevice(id.slice(CONNREQ_ID_PREFIX.length));
          if (!device?.connectionRequestAuth) throw new NbiNotFoundError('credential', id);
          await setConnreqAuth(device, null);
          return { status: 204 };
        }
        if (!(await store.deleteCredential(id))) throw new NbiNotFoundError('credential', id);
        return { status: 204 };
      },
    }),
  ];
}
