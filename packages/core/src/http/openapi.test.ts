import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuditLog } from '../audit/audit-log.js';
import { auditRoutes } from '../audit/routes.js';
import { createEventBus } from '../events/bus.js';
import { eventRoutes } from '../events/routes.js';
import { buildOpenApi, openApiIssues, operationIdOf } from './openapi.js';
import { defineRoute } from './route.js';

type Operation = Record<string, unknown> & { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

describe('buildOpenApi', () => {
  const routes = [...eventRoutes({ bus: createEventBus() }), ...auditRoutes({ audit: createAuditLog({ service: 'x' }) })];
  const doc = buildOpenApi(routes, { title: 'test', version: '1.2.3' }) as Doc;
  const op = (path: string, method = 'get') => doc.paths[path]![method]!;

  it('lists every route with its permission', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/audit/stats', '/events/publish', '/events/recent', '/events/schema', '/events/schema/{type}', '/events/stats', '/events/stream'].sort(),
    );
    expect(doc.paths['/events/publish']!.post!['x-permission']).toBe('events:publish');
  });

  it('describes path and query parameters and request bodies from the zod schemas', () => {
    const recent = doc.paths['/events/recent']!.get!;
    const names = (recent.parameters as { name: string; in: string }[]).map((p) => `${p.in}:${p.name}`);
    expect(names).toEqual(expect.arrayContaining(['query:event_type', 'query:severity', 'query:since', 'query:limit', 'query:cursor']));
    const one = doc.paths['/events/schema/{type}']!.get!;
    expect(one.parameters).toEqual([expect.objectContaining({ name: 'type', in: 'path', required: true })]);
    // Both shapes the endpoint accepts: CloudEvents and the seed's.
    const body = (doc.paths['/events/publish']!.post!.requestBody as { content: Record<string, { schema: { anyOf: { properties: object }[] } }> }).content['application/json']!.schema;
    expect(Object.keys(body.anyOf[0]!.properties)).toEqual(expect.arrayContaining(['type', 'source', 'data', 'severity']));
    expect(Object.keys(body.anyOf[1]!.properties)).toEqual(expect.arrayContaining(['event_type', 'source', 'payload']));
    expect(doc.paths['/events/publish']!.post!.responses).toHaveProperty('401');
  });

  it('gives every operation a success schema, and the routes no issues', () => {
    expect(openApiIssues(routes)).toEqual([]);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const ok = operation.responses['200']!.content!;
        for (const [type, media] of Object.entries(ok)) {
          if (type !== 'text/event-stream') expect(Object.keys(media.schema), `${method} ${path} ${type}`).not.toHaveLength(0);
        }
      }
    }
  });

  it('derives the error statuses, each as problem+json with the shared Problem', () => {
    const statuses = (o: Operation) => Object.keys(o.responses).filter((s) => s !== '200');
    expect(statuses(op('/events/publish', 'post'))).toEqual(['400', '401', '403', '413', '415', '503', 'default']);
    expect(statuses(op('/events/schema/{type}'))).toEqual(['400', '401', '403', '404', '503', 'default']);
    expect(statuses(op('/events/stats'))).toEqual(['400', '401', '403', '503', 'default']);
    expect(op('/events/publish', 'post').responses['415']!.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    const problem = doc.components.schemas!.Problem as { required: string[]; properties: Record<string, unknown> };
    expect(problem.required).toEqual(['type', 'title', 'status', 'code', 'detail']);
    expect(problem.properties.errors).toEqual({ type: 'array', items: { $ref: '#/components/schemas/FieldError' } });
  });

  it('documents the live stream as text/event-stream, with what each message carries', () => {
    const ok = op('/events/stream').responses['200']!.content!;
    expect(Object.keys(ok)).toEqual(['text/event-stream']);
    expect((ok['text/event-stream'] as unknown as Record<string, { properties: object }>)['x-event-data']!.properties).toHaveProperty('received_at');
  });

  it('states both auth schemes, each operation’s permission and the roles that hold it', () => {
    expect(Object.keys(doc.components.securitySchemes!)).toEqual(['userRoles', 'bearer']);
    const audit = op('/audit/stats');
    expect(audit.security).toEqual([{ userRoles: ['ops:operate'] }, { bearer: ['ops:operate'] }]);
    expect(audit['x-roles']).toEqual(['admin', 'operator']);
    expect(audit.description).toContain('Requires `ops:operate` (roles: admin, operator)');
  });

  it('names operations for generators: from the spec, or camelCase from method and path', () => {
    expect(op('/events/publish', 'post').operationId).toBe('publishEvent');
    expect(op('/events/stream').operationId).toBe('streamEvents');
    expect(operationIdOf({ method: 'PATCH', path: '/alerts/rules/{id}/enabled' })).toBe('patchAlertsRulesByIdEnabled');
    expect(operationIdOf({ method: 'GET', path: '/health.json' })).toBe('getHealthJson');
    const publish = op('/events/publish', 'post').requestBody as { content: Record<string, { examples: Record<string, { value: unknown }> }> };
    expect(Object.keys(publish.content['application/json']!.examples)).toEqual(['cloudevent', 'seed']);
  });

  it('flags routes a generator cannot use, and refuses them when strict', () => {
    const bare = defineRoute({ method: 'GET', path: '/x/things', permission: 'ops:read', handler: () => [] });
    const empty = defineRoute({ method: 'GET', path: '/x/any', permission: 'ops:read', response: z.unknown(), handler: () => 1 });
    const twin = defineRoute({ method: 'GET', path: '/x/twin', operationId: 'getXThings', permission: 'ops:read', response: z.number(), handler: () => 1 });
    expect(openApiIssues([bare, empty, twin])).toEqual([
      'GET /x/things has no response schema',
      'GET /x/any has an empty response schema',
      'GET /x/twin and GET /x/things share the operationId "getXThings"',
    ]);
    expect(() => buildOpenApi([bare], { title: 't', version: '1', strict: true })).toThrow(/GET \/x\/things has no response schema/);
  });
});
