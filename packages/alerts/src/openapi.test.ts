import { buildOpenApi, createEventBus, memoryStores } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { alertsModule } from './module.js';

// What a client generator sees of every alert route (rules, silences, templates, backtest, endpoints, deliveries,
// replay): request and response schemas, the success status, and the errors each can answer. That the answers
// match these schemas is checked on every call of routes.test.ts and delivery-routes.test.ts (conformingRoutes).

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
};

// Routes that take no input beyond their path: nothing to describe in a body.
const NO_BODY = new Set(['POST /alerts/evaluate', 'POST /alerts/deliveries/{id}/replay', 'POST /alerts/endpoints/{id}/test']);

describe('the alert routes in OpenAPI', () => {
  const stores = memoryStores();
  const mod = alertsModule({ deliveries: stores.deliveries, documents: stores.documents, owner: 'x', rules: { bus: createEventBus({ store: stores.events }) } });
  // strict: throws naming any route without a response schema, or two sharing an operationId.
  const doc = buildOpenApi(mod.routes, { title: 't', version: '1', strict: true }) as { paths: Record<string, Record<string, Operation>> };
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, path, method, op })));

  it('covers rules, silences, templates, backtest, endpoints, deliveries and replay', () => {
    expect(operations.length).toBe(mod.routes.length);
    const paths = Object.keys(doc.paths);
    for (const path of ['/alerts/rules', '/alerts/rules/{id}/enabled', '/alerts/rules/preview', '/alerts/silences', '/alerts/templates/{id}/materialize', '/alerts/endpoints/{id}', '/alerts/deliveries/history', '/alerts/deliveries/{id}/replay', '/alerts/deliveries/replay-bulk', '/alerts/endpoints/{id}/replay-dead-letters']) {
      expect(paths, path).toContain(path);
    }
  });

  it('gives every write a request body schema, every path parameter a schema, and every route a success schema', () => {
    for (const { where, path, method, op } of operations) {
      if (['post', 'put', 'patch'].includes(method) && !NO_BODY.has(where)) {
        const body = op.requestBody?.content['application/json'].schema;
        expect(body?.type, `${where} request body`).toBe('object');
        expect(Object.keys((body?.properties as object | undefined) ?? {}).length, `${where} request body fields`).toBeGreaterThan(0);
      }
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(op.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema, `${where} path parameter ${name}`).toMatchObject({ type: 'string' });
      }
      const success = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
      expect(success, `${where} success answers`).toHaveLength(1);
      expect(Object.keys(success[0]![1].content!['application/json']!.schema), `${where} success schema`).not.toHaveLength(0);
      // Bad input and missing permissions are problem+json, as is a missing resource where a path names one.
      for (const s of ['400', '401', '403'].filter((s) => s !== '400' || op.parameters?.length || op.requestBody)) {
        expect(op.responses[s]?.content, `${where} ${s}`).toHaveProperty(['application/problem+json']);
      }
      if (path.includes('{')) expect(op.responses, `${where} 404`).toHaveProperty(['404']);
    }
  });

  it('states the success status and the conflicts a route can answer', () => {
    const statuses = (where: string) => Object.keys(operations.find((o) => o.where === where)!.op.responses);
    expect(statuses('POST /alerts/rules')).toEqual(expect.arrayContaining(['201', '409']));
    expect(statuses('POST /alerts/silences')).toContain('201');
    expect(statuses('POST /alerts/templates/{id}/materialize')).toEqual(expect.arrayContaining(['201', '404', '409']));
    expect(statuses('POST /alerts/endpoints')).toContain('201');
    expect(statuses('POST /alerts/endpoints/{id}/test')).toEqual(expect.arrayContaining(['202', '409']));
    expect(statuses('POST /alerts/deliveries/{id}/replay')).toEqual(expect.arrayContaining(['200', '404', '409']));
    expect(statuses('POST /alerts/rules/preview')).toContain('404');
  });
});
