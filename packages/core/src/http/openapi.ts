import type { z } from 'zod';
import { AetherError } from '../errors.js';
import { defaultPolicy, type Policy } from '../rbac/policy.js';
import { FIELD_ERROR_SCHEMA, PROBLEM_SCHEMA, responsesOf, rolesGranting, toJson, type JsonSchema } from './openapi-responses.js';
import type { AnyRouteSpec } from './route.js';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string }[];
  /** Whose roles the document names for each permission. Default: DESIGN §3's. */
  policy?: Policy;
  /** Throw (naming each) when a route lacks a response schema or two share an operationId. Default false. */
  strict?: boolean;
}

/**
 * An OpenAPI 3.1 document generated from route specs, so docs and behaviour never drift: success schemas, every
 * error a route can answer as problem+json, event streams, both auth schemes with each operation's permission, and
 * operationIds that client generators turn into method names.
 * @example app.get('/openapi.json', () => buildOpenApi(routes, { title: 'Command center', version: '1.0.0' }))
 */
export function buildOpenApi(routes: readonly AnyRouteSpec[], options: OpenApiOptions): JsonSchema {
  if (options.strict) {
    const issues = openApiIssues(routes);
    if (issues.length) throw new AetherError('config_invalid', `the route specs cannot be documented: ${issues.join('; ')}`);
  }
  const policy = options.policy ?? defaultPolicy;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.openapi?.hidden) continue;
    const parameters = [...objectParameters(route.params, 'path'), ...objectParameters(route.query, 'query')];
    const body = route.openapi?.requestBody ?? route.body;
    const examples = route.openapi?.examples;
    const isPublic = route.permission === 'public';
    const roles = isPublic ? [] : rolesGranting(policy, route.permission);
    const permissionNote = isPublic ? 'Public: no credentials needed.' : `Requires \`${route.permission}\` (roles: ${roles.join(', ') || 'none'}).`;
    const operation: Record<string, unknown> = {
      operationId: operationIdOf(route),
      ...(route.summary ? { summary: route.summary } : {}),
      description: route.description ? `${route.description}\n\n${permissionNote}` : permissionNote,
      ...(route.tags ? { tags: route.tags } : {}),
      'x-permission': route.permission,
      ...(isPublic ? {} : { 'x-roles': roles }),
      // OpenAPI 3.1 lets non-OAuth schemes list what they require: the permission, under either scheme.
      security: isPublic ? [] : [{ userRoles: [route.permission] }, { bearer: [route.permission] }],
      ...(parameters.length ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toJson(body, 'input'), ...(examples ? { examples } : {}) } },
            },
          }
        : {}),
      responses: responsesOf(route, route.permission),
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
        userRoles: { type: 'apiKey', in: 'header', name: 'X-User-Roles', description: 'Comma-separated roles (AUTH_MODE=header; trusted networks only)' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT whose roles claim names the roles (AUTH_MODE=jwt)' },
      },
      schemas: { Problem: PROBLEM_SCHEMA, FieldError: FIELD_ERROR_SCHEMA },
    },
    paths,
  };
}

/**
 * What keeps the routes from a document a client generator can use: a route without a response schema (or an
 * empty one), and operationIds used twice. Empty when all is well.
 * @example expect(openApiIssues(cc.routes)).toEqual([])
 */
export function openApiIssues(routes: readonly AnyRouteSpec[]): string[] {
  const issues: string[] = [];
  const seen = new Map<string, string>();
  for (const route of routes) {
    if (route.openapi?.hidden) continue;
    const where = `${route.method} ${route.path}`;
    if (route.sse !== 'always') {
      if (!route.response) issues.push(`${where} has no response schema`);
      else if (Object.keys(toJson(route.response, 'output')).length === 0) issues.push(`${where} has an empty response schema`);
    }
    const id = operationIdOf(route);
    const other = seen.get(id);
    if (other) issues.push(`${where} and ${other} share the operationId "${id}"`);
    else seen.set(id, where);
  }
  return issues;
}

/**
 * The route's operationId: its own, or method + path in camelCase, parameters as `By<Name>`.
 * @example operationIdOf({ method: 'GET', path: '/alerts/rules/{id}', … }) // 'getAlertsRulesById'
 */
export function operationIdOf(route: Pick<AnyRouteSpec, 'method' | 'path' | 'operationId'>): string {
  if (route.operationId) return route.operationId;
  const words = route.path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const parts = (param ? param[1]! : segment).split(/[^a-zA-Z0-9]+/).filter(Boolean);
      return param ? ['By', ...parts] : parts;
    });
  return route.method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
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
