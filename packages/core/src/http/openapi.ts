import { z } from 'zod';
import type { AnyRouteSpec } from './route.js';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string }[];
}

type JsonSchema = Record<string, unknown>;

const toJson = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/**
 * An OpenAPI 3.1 document generated from route specs, so docs and behaviour never drift.
 * @example app.get('/openapi.json', () => buildOpenApi(routes, { title: 'Command center', version: '1.0.0' }))
 */
export function buildOpenApi(routes: readonly AnyRouteSpec[], options: OpenApiOptions): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.openapi?.hidden) continue;
    const parameters = [
      ...objectParameters(route.params, 'path'),
      ...objectParameters(route.query, 'query'),
    ];
    const responses: Record<string, unknown> = {
      '200': {
        description: 'OK',
        content: route.response
          ? { 'application/json': { schema: toJson(route.response, 'output') } }
          : { 'application/json': { schema: {} } },
      },
    };
    if (route.permission !== 'public') {
      responses['401'] = problemResponse('No credentials, or credentials that were rejected');
      responses['403'] = problemResponse(`The principal lacks the "${route.permission}" permission`);
    }
    if (route.params || route.query || route.body) responses['400'] = problemResponse('A field is invalid; `errors` names it');
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(route.summary ? { summary: route.summary } : {}),
      ...(route.description ? { description: route.description } : {}),
      ...(route.tags ? { tags: route.tags } : {}),
      'x-permission': route.permission,
      ...(route.permission === 'public' ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...((route.openapi?.requestBody ?? route.body)
        ? { requestBody: { required: true, content: { 'application/json': { schema: toJson((route.openapi?.requestBody ?? route.body)!, 'input') } } } }
        : {}),
      responses,
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    ...(options.servers ? { servers: options.servers } : {}),
    security: [{ userRoles: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        userRoles: { type: 'apiKey', in: 'header', name: 'X-User-Roles', description: 'Comma-separated roles (trusted networks only)' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: {
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, in: { type: 'string' } } },
            },
          },
          required: ['type', 'title', 'status', 'code'],
        },
      },
    },
    paths,
  };
}

function problemResponse(description: string): Record<string, unknown> {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

function objectParameters(schema: z.ZodType | undefined, location: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const json = toJson(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, prop]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof prop.description === 'string' ? { description: prop.description } : {}),
    schema: prop,
  }));
}
