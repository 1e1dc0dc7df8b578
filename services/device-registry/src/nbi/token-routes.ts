import type { NbiContext } from './context.js';
import { NbiConflictError, NbiNotFoundError } from './errors.js';
import { defineRoute } from './route-table.js';
import type { RouteDef } from './route-table.js';
import { IssuedTokenSchema, TokenCreateBody, TokenListSchema } from './schemas.js';
import { ENV_TOKEN_ID } from './tokens.js';

export function tokenRoutes(ctx: NbiContext): RouteDef[] {
  const { tokens } = ctx;
  const hasEnvToken = ctx.adminToken !== undefined && ctx.adminToken !== '';
  return [
    defineRoute({
      method: 'get',
      path: '/tokens',
      tag: 'tokens',
      adminOnly: true,
      summary: 'List NBI tokens (ids and roles; tokens themselves are never shown again)',
      responses: { 200: { description: 'the tokens', schema: TokenListSchema } },
      async handler() {
        const items = await tokens.list();
        return { status: 200, body: { items: hasEnvToken ? [{ id: ENV_TOKEN_ID, role: 'admin', createdAt: 0 }, ...items] : items } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tokens',
      tag: 'tokens',
      adminOnly: true,
      summary: 'Issue a token (admin or read); the response is the only time it is shown',
      body: TokenCreateBody,
      responses: { 201: { description: 'the new token, in clear this once', schema: IssuedTokenSchema } },
      async handler({ body }) {
        return { status: 201, body: await tokens.create(body.role) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/tokens/{id}',
      tag: 'tokens',
      adminOnly: true,
      summary: 'Revoke a token',
      errors: [409],
      params: { id: 'token id' },
      responses: { 204: { description: 'revoked' } },
      async handler({ params }) {
        const id = params.id as string;
        if (id === ENV_TOKEN_ID && hasEnvToken) throw new NbiConflictError('the ACS_NBI_TOKEN token is revoked by unsetting the variable');
        if (!(await tokens.revoke(id))) throw new NbiNotFoundError('token', id);
        return { status: 204 };
      },
    }),
  ];
}
