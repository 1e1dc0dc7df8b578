// NBI tokens: issuing one for a role, and the views of them (the secret shown once).
import { z } from 'zod';
import { NBI_ROLES } from '../tokens.js';
import { epochMs } from './common.js';
import { named } from './registry.js';

export const TokenCreateBody = named('TokenCreateBody', z.strictObject({ role: z.enum(NBI_ROLES) }));

export const TokenSchema = named('Token', z.object({ id: z.string(), role: z.enum(NBI_ROLES), createdAt: epochMs }));
export const IssuedTokenSchema = named('IssuedToken', TokenSchema.extend({ token: z.string().describe('shown once; only its hash is kept') }));
export const TokenListSchema = named('TokenList', z.object({ items: z.array(TokenSchema) }));
