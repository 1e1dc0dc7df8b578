import { z } from 'zod';
import type { RouteDef } from './route-table.js';
import { needsAdmin, pathParams } from './route-table.js';
import { ErrorBodySchema, HealthSchema, schemaDescriptions, schemaRegistry } from './schemas.js';

export const API_PREFIX = '/api/v1';
export const NBI_API_VERSION = '1.0.0';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, unknown>>;
}

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(schemaRegistry, { uri: COMPONENT_URI, io: 'input', unrepresentable: 'any' });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const json = strip(schema as JsonSchema);
    const description = schemaDescriptions.get(id);
    out[id] = description !== undefined && json.description === undefined ? { description, ...json } : json;
  }
  return out;
}

function refTo(schema: z.ZodType): JsonSchema {
  const meta = schemaRegistry.get(schema);
  if (!meta) throw new Error('NBI bodies and responses must use a named schema (schemas.ts named())');
  return { $ref: COMPONENT_URI(meta.id) };
}

function jsonContent(schema: z.ZodType) {
  return { 'application/json': { schema: refTo(schema) } };
}

const ERROR_TEXT: Record<number, string> = {
  400: 'malformed JSON, or a path that is not valid percent-encoding',
  401: 'no bearer token, or an unknown one',
  403: 'the token\'s role does not allow this (a read token writing)',
  404: 'no such resource',
  409: 'conflicts with the current state',
  413: 'the body is larger than the NBI accepts',
  415: 'the body is not application/json',
  422: 'the query or body violates the schema; details.issues lists the problems',
  500: 'internal error (logged; no details)',
  503: 'a dependency (store, bus) is unavailable',
};

function errorResponses(codes: number[]) {
  const out: Record<string, unknown> = {};
  for (const code of [...new Set(codes)].sort()) out[String(code)] = { description: ERROR_TEXT[code] ?? 'error', content: jsonContent(ErrorBodySchema) };
  return out;
}

function queryParameters(schema: z.ZodType | undefined): unknown[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const json = strip(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
    const { description, ...rest } = json;
    return {
      name,
      in: 'query',
      required: !field.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** Error statuses a route can answer: from its shape (auth, path params, schemas) plus what it declares. */
export function routeErrors(route: RouteDef): number[] {
  // Every route reads the store, which may be down (503).
  const codes = [401, 500, 503, ...(route.errors ?? [])];
  if (needsAdmin(route)) codes.push(403);
  if (pathParams(route.path).length > 0) codes.push(404);
  if (route.query || route.body) codes.push(422);
  if (route.body) codes.push(400, 413, 415);
  return codes;
}

function operation(route: RouteDef) {
  const params = pathParams(route.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    ...(route.params?.[name] ? { description: route.params[name] } : {}),
    schema: { type: 'string' },
  }));
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    responses[status] = doc.schema ? { description: doc.description, content: jsonContent(doc.schema) } : { description: doc.description };
  }
  Object.assign(responses, errorResponses(routeErrors(route)));
  return {
    operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    tags: [route.tag],
    ...(needsAdmin(route) ? { description: 'Needs a token with the admin role.' } : {}),
    parameters: [...params, ...queryParameters(route.query)],
    ...(route.body ? { requestBody: { required: true, content: jsonContent(route.body) } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the NBI, built from the route table and the zod schemas. */
export function buildOpenApiDocument(routes: readonly RouteDef[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const open = (summary: string, description: string) => ({
    get: { summary, security: [], tags: ['service'], responses: { 200: { description, content: jsonContent(HealthSchema) } } },
  });
  paths['/healthz'] = open('Liveness', 'the process is up');
  paths['/readyz'] = { get: { ...open('Readiness', 'the store answers').get, responses: { 200: { description: 'the store answers', content: jsonContent(HealthSchema) }, 503: { description: 'the store does not answer', content: jsonContent(HealthSchema) } } } };
  paths['/openapi.json'] = { get: { summary: 'This document', security: [], tags: ['service'], responses: { 200: { description: 'OpenAPI 3.1 document' } } } };
  for (const route of routes) {
    const path = API_PREFIX + route.path;
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method] = operation(route);
  }
  const schemas = componentSchemas();
  return {
    openapi: '3.1.0',
    info: {
      title: 'ACS device registry NBI',
      version: NBI_API_VERSION,
      description: 'Devices, parameters, tasks, credentials, device types and faults of the TR-069 ACS. Every /api/v1 route needs `Authorization: Bearer <token>`.',
    },
    components: { schemas, securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearerAuth: [] }],
    paths,
  };
}
