import { z } from 'zod';
import type { Permission, Policy } from '../rbac/policy.js';
import type { AnyRouteSpec } from './route.js';

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema for OpenAPI 3.1 (draft 2020-12), without the `$schema` line. */
export const toJson = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const PROBLEM = 'application/problem+json';

const WHY: Readonly<Record<number, string>> = {
  400: 'A field is invalid: `errors` names each one (`field`, `message`, `in`)',
  401: 'No credentials, or credentials that were rejected',
  403: 'The principal lacks the permission',
  404: 'Nothing is known by that name',
  409: 'A conflicting change happened at the same time: try again',
  413: 'The body is larger than this endpoint accepts',
  415: 'The body is not JSON',
  429: 'Too many requests: wait as `Retry-After` says',
  502: 'The upstream service failed',
  503: 'A store or the token keys cannot be reached right now, or the service is shutting down',
  504: 'The upstream service did not answer in time',
};

/** RFC 9457 problem details, as every error answers (the HTTP adapters build them). */
export const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable for programs; `errors` names each invalid field.',
  properties: {
    type: { type: 'string', format: 'uri-reference', description: 'urn:aetherlink:problem:<code>' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', format: 'uri-reference' },
    code: { type: 'string', description: 'The AetherError code, e.g. validation_failed, not_found, forbidden' },
    errors: { type: 'array', items: { $ref: '#/components/schemas/FieldError' } },
  },
  required: ['type', 'title', 'status', 'code', 'detail'],
  additionalProperties: true,
};

export const FIELD_ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    field: { type: 'string', description: 'Dotted path of the field, e.g. `data.name` or `content-type`' },
    message: { type: 'string' },
    in: { type: 'string', enum: ['body', 'query', 'path', 'header'] },
  },
  required: ['field', 'message'],
};

/**
 * The error statuses a route can answer, derived from its spec: the permission (401, 403; 503 when the token keys
 * or a store are unreachable), the body (400, 413, 415), params and query (400), path parameters (404), plus the
 * route's own `errors`.
 */
export function errorStatuses(route: AnyRouteSpec): number[] {
  const out = new Set<number>(route.errors ?? []);
  if (route.permission !== 'public') [401, 403, 503].forEach((s) => out.add(s));
  if (route.body) [400, 413, 415].forEach((s) => out.add(s));
  if (route.params || route.query) out.add(400);
  if (route.params && route.openapi?.notFound !== false) out.add(404);
  for (const s of Object.keys(route.openapi?.responses ?? {})) if (Number(s) >= 400) out.add(Number(s));
  return [...out].sort((a, b) => a - b);
}

/** The `responses` object of one operation: success (JSON and/or an event stream), each error, and a default. */
export function responsesOf(route: AnyRouteSpec, permission: Permission): Record<string, unknown> {
  const success: Record<string, unknown> = {};
  if (route.sse !== 'always') {
    success[route.openapi?.contentType ?? 'application/json'] = { schema: route.response ? toJson(route.response, 'output') : {} };
  }
  if (route.sse) {
    success['text/event-stream'] = {
      schema: { type: 'string', description: 'Server-Sent Events: `id`, `event` and `data` lines; `data` holds JSON' },
      ...(route.sse === 'always' && route.response ? { 'x-event-data': toJson(route.response, 'output') } : {}),
    };
  }
  const status = route.openapi?.status ?? 200;
  const responses: Record<string, unknown> = {
    [String(status)]: { description: route.sse === 'always' ? 'An event stream' : 'OK', content: success },
  };
  const own = route.openapi?.responses ?? {};
  for (const s of errorStatuses(route)) {
    const extra = own[s];
    const content: Record<string, unknown> = { [PROBLEM]: { schema: { $ref: '#/components/schemas/Problem' } } };
    if (extra) content[extra.contentType ?? 'application/json'] = { schema: extra.schema ? toJson(extra.schema, 'output') : {} };
    const why = s === 403 ? `The principal lacks the "${permission}" permission` : (WHY[s] ?? 'Error');
    responses[String(s)] = { description: extra ? `${why}; ${extra.description}` : why, content };
  }
  responses.default = { description: 'An unexpected error (500), logged on the server', content: { [PROBLEM]: { schema: { $ref: '#/components/schemas/Problem' } } } };
  return responses;
}

/** The roles of a policy that grant a permission, for the document to state. */
export function rolesGranting(policy: Policy, permission: Permission): string[] {
  return Object.keys(policy.roles).filter((role) => policy.authorize({ roles: [role], via: 'openapi' }, permission).allowed);
}
