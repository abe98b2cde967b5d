import { buildOpenApi, createEventBus, type EventBus } from '@aetherlink/core';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { answer, startTestServer, type TestServer } from '@aetherlink/core/testing';
import { createHealthChecker } from './checker.js';
import { createRegistry } from './registry.js';
import { registryRoutes } from './routes.js';
import type { HealthChecker, Registry } from './types.js';

const OPERATOR = { 'x-user-roles': 'operator' };
const ADMIN = { 'x-user-roles': 'admin' };
const VIEWER = { 'x-user-roles': 'viewer' };

let app: FastifyInstance;
let base: string;
let registry: Registry;
let checker: HealthChecker;
let bus: EventBus;
let healthy: TestServer;
let broken: TestServer;

beforeAll(async () => {
  healthy = await startTestServer(answer(200, { status: 'ok' }));
  broken = await startTestServer(answer(500));
});

beforeEach(async () => {
  bus = createEventBus({ source: 'cc' });
  registry = createRegistry({ bus });
  checker = createHealthChecker({ registry, timeoutMs: 2000 });
  app = Fastify({ forceCloseConnections: true });
  await app.register(aetherlinkFastify, { service: 'cc', routes: registryRoutes({ registry, checker, maxAgeMs: 60_000 }), bus });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return async () => {
    registry.close();
    await app.close();
    await checker.close();
  };
});

afterAll(async () => {
  await healthy.close();
  await broken.close();
});

async function call(method: string, path: string, headers: Record<string, string> = OPERATOR, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

const seed = { name: 'aether-ai-orchestrator', url: 'http://aether-ai-orchestrator:8011', version: 'v1.10.0', roles_required: ['agent', 'operator', 'admin'], tags: ['ai', 'routing'] };

describe('registry routes on Fastify', () => {
  it('registers (upsert) with the seed body and lists in the DESIGN §4 shape', async () => {
    const first = await call('POST', '/ops/register', OPERATOR, seed);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'ok', created: true, service: { name: seed.name, health_url: 'http://aether-ai-orchestrator:8011/ping', status: 'down' } });

    await new Promise((r) => setTimeout(r, 5));
    const again = await call('POST', '/ops/register', ADMIN, { ...seed, version: 'v1.11.0' });
    expect(again.body).toMatchObject({ created: false, service: { version: 'v1.11.0' } });
    expect(Date.parse(again.body!.service.last_seen)).toBeGreaterThan(Date.parse(first.body!.service.last_seen));

    const list = await call('GET', '/ops/services');
    expect(list.status).toBe(200);
    expect(list.body!.count).toBe(1);
    expect(typeof list.body!.index).toBe('number');
    const [service] = list.body!.services;
    for (const key of ['name', 'url', 'health_url', 'version', 'roles_required', 'tags', 'last_seen', 'status']) expect(service).toHaveProperty(key);
    expect(service).toMatchObject({ name: seed.name, url: seed.url, version: 'v1.11.0', roles_required: seed.roles_required, tags: seed.tags, status: 'down' });
  });

  it('answers 401 without credentials and 403 to a role without ops:operate, on every route', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/ops/register', seed],
      ['GET', '/ops/services'],
      ['GET', '/ops/services/x'],
      ['DELETE', '/ops/services/x'],
      ['PUT', '/ops/services/x/heartbeat'],
      ['PUT', '/ops/services/x/maintenance', { enabled: true }],
      ['GET', '/ops/health'],
    ];
    const violations: unknown[] = [];
    bus.subscribe({ type: 'security.rbac.violation' }, (e) => violations.push(e.data));
    for (const [method, path, body] of routes) {
      const anonymous = await call(method, path, {}, body);
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.type).toContain('application/problem+json');
      const viewer = await call(method, path, VIEWER, body);
      expect(viewer.status, `${method} ${path}`).toBe(403);
      expect(viewer.body).toMatchObject({ code: 'forbidden', required_permission: 'ops:operate' });
    }
    expect(violations).toHaveLength(routes.length);
    expect(await registry.list()).toEqual([]);
  });

  it('answers 400 naming each bad field', async () => {
    const bad = await call('POST', '/ops/register', OPERATOR, { name: 'no spaces allowed', url: 'ftp://x', tags: ['a', 'a b'], ttl_seconds: 'soon', mystery: 1 });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect(bad.body!.code).toBe('validation_failed');
    expect(bad.body!.errors.map((e: { field: string }) => e.field).sort()).toEqual(['mystery', 'name', 'tags.1', 'ttl_seconds', 'url']);
    expect(bad.body!.errors.every((e: { in: string }) => e.in === 'body')).toBe(true);

    const query = await call('GET', '/ops/services?status=sideways&wait=forever');
    expect(query.status).toBe(400);
    expect(query.body!.errors.map((e: { field: string }) => e.field).sort()).toEqual(['status', 'wait']);

    await call('POST', '/ops/register', OPERATOR, { name: 'api', url: healthy.url });
    const heartbeat = await call('PUT', '/ops/services/api/heartbeat', OPERATOR, { ttl_seconds: 1 });
    expect(heartbeat.status).toBe(400);
    expect(heartbeat.body!.errors).toEqual([{ field: 'ttl_seconds', message: 'must be at least 5', in: 'body' }]);
  });

  it('deletes a service, and answers 404 for an unknown one', async () => {
    await call('POST', '/ops/register', OPERATOR, seed);
    const deleted = await call('DELETE', `/ops/services/${seed.name}`);
    expect(deleted).toMatchObject({ status: 200, body: { status: 'ok', name: seed.name, removed: true } });
    const again = await call('DELETE', `/ops/services/${seed.name}`);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: 'not_found', detail: `no service named "${seed.name}" is registered` });
    expect((await call('GET', '/ops/services/nobody')).status).toBe(404);
    expect((await call('DELETE', '/ops/services/not%20even%20valid')).status).toBe(404);
  });

  it('renews leases with PUT …/heartbeat, with or without a body', async () => {
    await call('POST', '/ops/register', OPERATOR, { name: 'leased', url: healthy.url, ttl_seconds: 90 });
    const bare = await call('PUT', '/ops/services/leased/heartbeat');
    expect(bare.status).toBe(200);
    expect(bare.body).toMatchObject({ status: 'ok', name: 'leased', ttl_seconds: 90, service_status: 'down' });
    expect(Date.parse(bare.body!.lease_expires_at) - Date.parse(bare.body!.last_seen)).toBe(90_000);
    const longer = await call('PUT', '/ops/services/leased/heartbeat', OPERATOR, { ttl_seconds: 300 });
    expect(longer.body).toMatchObject({ ttl_seconds: 300 });
    expect((await call('PUT', '/ops/services/ghost/heartbeat')).status).toBe(404);
  });

  it('aggregates health worst first, probing when results are missing or stale', async () => {
    const empty = await call('GET', '/ops/health');
    expect(empty.body).toEqual({ status: 'ok', checked_at: expect.any(String), services: [] });

    await call('POST', '/ops/register', OPERATOR, { name: 'good', url: healthy.url });
    await call('POST', '/ops/register', OPERATOR, { name: 'bad', url: broken.url });
    const health = await call('GET', '/ops/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'down',
      services: [
        { name: 'bad', status: 'down', error: 'HTTP 500, expected 200–299', checked_at: expect.any(String) },
        { name: 'good', status: 'ok', error: null, latency_ms: expect.any(Number) },
      ],
    });
    expect(Object.keys(health.body!.services[0]).sort()).toEqual(['checked_at', 'error', 'latency_ms', 'name', 'status']);

    // Fresh results are served from the store; ?fresh=true probes again.
    const hits = healthy.hits();
    await call('GET', '/ops/health');
    expect(healthy.hits()).toBe(hits);
    await call('GET', '/ops/health?fresh=true');
    expect(healthy.hits()).toBe(hits + 1);

    await call('PUT', '/ops/services/bad/maintenance', OPERATOR, { enabled: true });
    expect((await call('GET', '/ops/health')).body).toMatchObject({ status: 'maintenance', services: [{ name: 'bad', status: 'maintenance', error: null }, { name: 'good' }] });
    expect((await call('GET', '/ops/services?status=ok')).body!.services.map((s: { name: string }) => s.name)).toEqual(['good']);
  });

  it('serves the change feed as a blocking query on index and wait', async () => {
    const { body } = await call('GET', '/ops/services');
    const index = body!.index as number;
    // Waits longer than the test may run (5 min): an answer at all means the change woke it, not the timeout.
    const waiting = call('GET', `/ops/services?index=${index}&wait=5m`);
    await new Promise((r) => setTimeout(r, 100));
    await call('POST', '/ops/register', OPERATOR, { name: 'late', url: healthy.url });
    const answered = await waiting;
    expect(answered.body!.index).toBeGreaterThan(index);
    expect(answered.body!.services.map((s: { name: string }) => s.name)).toEqual(['late']);

    const timedOut = await call('GET', `/ops/services?index=${answered.body!.index}&wait=1`);
    expect(timedOut.body!.index).toBe(answered.body!.index);
  });

  it('documents every route for /openapi.json', () => {
    const doc = buildOpenApi(registryRoutes({ registry }), { title: 'cc', version: '1' }) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.fromEntries(Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops).sort()]))).toEqual({
      '/ops/register': ['post'],
      '/ops/services': ['get'],
      '/ops/services/{name}': ['delete', 'get'],
      '/ops/services/{name}/heartbeat': ['put'],
      '/ops/services/{name}/maintenance': ['put'],
      '/ops/health': ['get'],
    });
  });
});
