import type { AddressInfo } from 'node:net';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';
import { historyResponse, serviceResponse, statsResponse, statusResponse } from './responses.js';
import { autohealRoutes } from './routes.js';

let h: Harness;
let app: FastifyInstance;
let base: string;

beforeEach(async () => {
  h = harness({ services: ['api', 'db'], policy: { failureThreshold: 1 } });
  app = Fastify({ forceCloseConnections: true });
  await app.register(aetherlinkFastify, { service: 'cc', routes: autohealRoutes({ healer: h.healer }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await app.close();
  await h.close();
});

async function call(method: string, path: string, roles: string | null = 'viewer', body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(roles ? { 'x-user-roles': roles } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

describe('auto-heal routes', () => {
  it('GET /autoheal/status shows each service with its status, state and source (ops:read)', async () => {
    expect((await call('GET', '/autoheal/status', null)).status).toBe(401);
    await h.round();
    h.runtime.stop('db');
    h.set('db', false);
    await h.round();
    const { status, body } = await call('GET', '/autoheal/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      enabled: true, runtime: 'recording', interval_seconds: 1, last_check: expect.any(String), dry_run: false,
      services: [
        { name: 'api', status: 'ok', state: 'healthy', source: 'configured', reason: 'healthy' },
        { name: 'db', status: 'down', state: 'stopped', source: 'configured', reason: 'manual_stop' },
      ],
    });
  });

  it('GET /autoheal/history pages newest first: default 10, at most 50, with the total', async () => {
    h.set('api', false);
    await h.round();
    await h.healer.idle();
    const { body } = await call('GET', '/autoheal/history');
    expect(body).toMatchObject({ limit: 10, total_in_history: 1, history: [{ service: 'api', outcome: 'succeeded', attempt: 1, reason: 'threshold_reached' }] });
    const tooMany = await call('GET', '/autoheal/history?limit=51');
    expect(tooMany.status).toBe(400);
    expect(tooMany.type).toMatch(/application\/problem\+json/);
    expect(tooMany.body!.errors).toEqual([expect.objectContaining({ field: 'limit', in: 'query' })]);
    expect((await call('GET', '/autoheal/history?limit=1&service=db')).body).toMatchObject({ history: [], limit: 1 });
  });

  it('GET /autoheal/stats has the seed keys', async () => {
    const { body } = await call('GET', '/autoheal/stats');
    expect(body).toEqual({
      total_attempts: 0, successful: 0, failed: 0, success_rate: 0, services: {}, most_healed: null, skipped: 0,
      time_to_heal_ms: { p50: null, p95: null, samples: 0 }, quarantined: [],
    });
  });

  it('GET /autoheal/services/{name} says why, and 404 names an unknown service', async () => {
    h.set('api', false);
    await h.healer.setWindow({ service: 'api', reason: 'disk swap' }, 'alice');
    await h.round();
    const { body } = await call('GET', '/autoheal/services/api');
    expect(body).toMatchObject({
      name: 'api', state: 'maintenance', decision: { action: 'skip', reason: 'maintenance', message: expect.stringContaining('disk swap') },
      checks: [{ name: 'probe', kind: 'custom', role: 'liveness', verdict: 'fail', error: 'HTTP 500' }], thresholds: { failure: 1, success: 1 },
      windows: [{ service: 'api', kind: 'maintenance', by: 'alice', reason: 'disk swap' }],
    });
    const missing = await call('GET', '/autoheal/services/nope');
    expect(missing).toMatchObject({ status: 404, body: { detail: expect.stringContaining('"nope"') } });
  });

  it('sets, lists and clears maintenance windows for operators only, naming bad fields', async () => {
    expect((await call('POST', '/autoheal/maintenance', 'viewer', { service: 'api', reason: 'x' })).status).toBe(403);
    const bad = await call('POST', '/autoheal/maintenance', 'operator', { service: 'api', kind: 'nap', duration_seconds: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body!.errors.map((e: { field: string }) => e.field).sort()).toEqual(['duration_seconds', 'kind', 'reason']);
    const made = await call('POST', '/autoheal/maintenance', 'operator', { service: '*', kind: 'silence', duration_seconds: 600, reason: 'game day', by: 'frank' });
    expect(made).toMatchObject({ status: 201, body: { id: expect.any(String), service: '*', kind: 'silence', by: 'frank', in_force: true } });
    expect((await call('GET', '/autoheal/maintenance')).body).toMatchObject({ windows: [{ id: made.body!.id }] });
    expect((await call('DELETE', `/autoheal/maintenance/${made.body!.id}`, 'operator')).body).toEqual({ status: 'ok', id: made.body!.id, removed: true });
    expect((await call('DELETE', `/autoheal/maintenance/${made.body!.id}`, 'operator')).status).toBe(404);
  });

  it('answers what its OpenAPI response schemas say', async () => {
    h.set('api', false);
    await h.round();
    await h.healer.idle();
    await h.round();
    expect(statusResponse.safeParse((await call('GET', '/autoheal/status')).body).error).toBeUndefined();
    expect(historyResponse.safeParse((await call('GET', '/autoheal/history')).body).error).toBeUndefined();
    expect(statsResponse.safeParse((await call('GET', '/autoheal/stats')).body).error).toBeUndefined();
    expect(serviceResponse.safeParse((await call('GET', '/autoheal/services/api')).body).error).toBeUndefined();
  });

  it('quarantines and releases a service, and switches dry run', async () => {
    await h.round();
    const q = await call('PUT', '/autoheal/services/api/quarantine', 'operator', { reason: 'leak hunt' });
    expect(q.body).toMatchObject({ status: 'ok', name: 'api', quarantine: { reason: 'operator', by: 'roles:operator', message: 'leak hunt' } });
    expect((await call('GET', '/autoheal/stats')).body!.quarantined).toEqual([expect.objectContaining({ service: 'api', reason: 'operator' })]);
    expect((await call('DELETE', '/autoheal/services/api/quarantine', 'operator')).status).toBe(200);
    expect((await call('DELETE', '/autoheal/services/api/quarantine', 'operator')).status).toBe(409);
    expect((await call('PUT', '/autoheal/services/ghost/quarantine', 'operator', {})).status).toBe(404);
    expect((await call('PUT', '/autoheal/dry-run', 'operator', { enabled: 'yes' })).body!.errors).toEqual([expect.objectContaining({ field: 'enabled' })]);
    expect((await call('PUT', '/autoheal/dry-run', 'operator', { enabled: true, reason: 'trial' })).body).toMatchObject({ status: 'ok', dry_run: true, reason: 'trial' });
    expect((await call('GET', '/autoheal/status')).body!.dry_run).toBe(true);
    expect(h.events.filter((e) => e.type.startsWith('autoheal.')).map((e) => [e.type, (e.data as { by?: string }).by])).toEqual([
      ['autoheal.quarantined', 'roles:operator'],
      ['autoheal.released', 'roles:operator'],
    ]);
  });
});
