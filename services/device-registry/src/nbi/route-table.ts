// A route is data: method, path, schemas, documented responses and a handler. The express router
// and the OpenAPI document are both built from the same table (create-nbi.ts, openapi.ts).
import type { z } from 'zod';
import type { TokenInfo } from './tokens.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

export interface RouteInput<Q, B> {
  /** Path parameters, percent-decoded exactly once. */
  params: Record<string, string>;
  query: Q;
  body: B;
  auth: TokenInfo;
  /** Resolves when the client went away; long waits (poke ?wait) stop early. */
  signal: AbortSignal;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
}

export interface RouteDef<Q = unknown, B = unknown> {
  method: HttpMethod;
  /** OpenAPI form below `/api/v1`: `/devices/{id}`. */
  path: string;
  summary: string;
  /** OpenAPI tag (one per resource). */
  tag: string;
  /** Also reads need the admin role (token management). Writes always do. */
  adminOnly?: boolean;
  query?: z.ZodType<Q, unknown>;
  body?: z.ZodType<B, unknown>;
  /** Descriptions of path parameters, by name. */
  params?: Record<string, string>;
  /** Success responses; error responses are added from what the route can fail with. */
  responses: Record<number, ResponseDoc>;
  /** Error statuses beyond those every route of its shape has (401, 403, 404, 422, 400, 413, 415, 500, 503): 409 mostly. */
  errors?: number[];
  handler(input: RouteInput<Q, B>): Promise<Reply>;
}

/** Keeps the handler's types tied to its schemas, then erases them for the table. */
export function defineRoute<Q = Record<string, never>, B = undefined>(def: RouteDef<Q, B>): RouteDef {
  return def as unknown as RouteDef;
}

/** `/devices/{id}/tags/{tag}` → `/devices/:id/tags/:tag` (express 5 / path-to-regexp 8). */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

export function needsAdmin(route: Pick<RouteDef, 'method' | 'adminOnly'>): boolean {
  return route.adminOnly === true || route.method !== 'get';
}
