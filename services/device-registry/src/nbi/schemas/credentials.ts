// Credentials: what the CPE presents to the ACS, and what the ACS presents on a connection request.
import { z } from 'zod';
import { deviceIdSchema, epochMs, idSchema, pageQuery } from './common.js';
import { named } from './registry.js';

export const CREDENTIAL_KINDS = ['cpe', 'connectionRequest'] as const;

export const CredentialListQuery = z.strictObject({
  kind: z.enum(CREDENTIAL_KINDS).optional().describe('cpe (default): CPE→ACS credentials; connectionRequest: ACS→CPE ones'),
  deviceId: z.string().optional(),
  deviceTypeId: z.string().optional(),
  username: z.string().optional(),
  ...pageQuery,
});

const scopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('device'), deviceId: deviceIdSchema }),
  z.strictObject({ kind: z.literal('deviceType'), deviceTypeId: idSchema }),
]);

// TR-069 caps usernames and passwords at 256 characters.
const username = z.string().min(1).max(256);
const password = z.string().min(1).max(256);

export const CredentialCreateBody = named(
  'CredentialCreateBody',
  z.discriminatedUnion('kind', [
    z
      .strictObject({
        kind: z.literal('cpe'),
        id: idSchema.optional(),
        username,
        password: password.describe('stored only as Digest HA1 and a scrypt hash; never returned'),
        scope: scopeSchema,
        status: z.enum(['active', 'disabled']).optional(),
      })
      .describe('A username/password the CPE presents to the ACS, for one device or every device of a type.'),
    z
      .strictObject({
        kind: z.literal('connectionRequest'),
        username,
        password: password.describe('stored encrypted; never returned'),
        scope: scopeSchema,
      })
      .describe('What the ACS presents on a connection request to the device, or to every device of the type (kept on the type; a device\'s own newer credentials win).'),
  ]),
);

const scopeView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('device'), deviceId: z.string() }),
  z.object({ kind: z.literal('deviceType'), deviceTypeId: z.string() }),
]);

export const CredentialSchema = named(
  'Credential',
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('cpe'),
      id: z.string(),
      username: z.string(),
      scope: scopeView,
      realm: z.string(),
      status: z.enum(['active', 'pending', 'disabled']),
      createdAt: epochMs,
      updatedAt: epochMs,
    }),
    z.object({
      kind: z.literal('connectionRequest'),
      id: z.string().optional().describe('`connreq:<deviceId>` or `connreq-type:<deviceTypeId>`, for DELETE'),
      username: z.string(),
      scope: scopeView,
      passwordSet: z.literal(true),
    }),
  ]),
  'Never contains a password or a hash.',
);

export const CredentialListSchema = named('CredentialList', z.object({ items: z.array(CredentialSchema) }));
