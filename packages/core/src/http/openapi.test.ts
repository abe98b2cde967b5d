import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/audit-log.js';
import { auditRoutes } from '../audit/routes.js';
import { createEventBus } from '../events/bus.js';
import { eventRoutes } from '../events/routes.js';
import { buildOpenApi } from './openapi.js';

describe('buildOpenApi', () => {
  const doc = buildOpenApi([...eventRoutes({ bus: createEventBus() }), ...auditRoutes({ audit: createAuditLog({ service: 'x' }) })], {
    title: 'test',
    version: '1.2.3',
  }) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };

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
    const body = (doc.paths['/events/publish']!.post!.requestBody as { content: Record<string, { schema: { properties: object } }> }).content['application/json']!.schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['type', 'source', 'data', 'severity']));
    expect(doc.paths['/events/publish']!.post!.responses).toHaveProperty('401');
  });
});
