import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordingRuntime } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

type Mode = 'ok' | 'error' | 'hang';

/** A small HTTP service whose /ping answers as `mode` says. */
async function service(): Promise<{ url: string; mode: Mode; server: Server }> {
  const s = { url: '', mode: 'ok' as Mode, server: createServer((_req, res) => {
    if (s.mode === 'hang') return;
    res.statusCode = s.mode === 'ok' ? 200 : 500;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: s.mode === 'ok' ? 'ok' : 'error' }));
  }) };
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  return s;
}

describe('auto-heal in the reference server', () => {
  let cc: CommandCenter;
  let url: string;
  const services: Record<string, Awaited<ReturnType<typeof service>>> = {};
  const runtime = recordingRuntime({ workloads: { orders: {}, billing: {} } });
  // Restarting a service brings it back, as a supervisor would.
  runtime.watch!((e) => {
    if (e.action === 'start') services[e.id]!.mode = 'ok';
  });

  beforeAll(async () => {
    services.orders = await service();
    services.billing = await service();
    cc = await createCommandCenter(
      loadConfig({
        LOG_LEVEL: 'silent',
        AUDIT_LOG: 'off',
        AETHERLINK_DB: ':memory:',
        SELF_REGISTER: 'false',
        AUTOHEAL_SERVICES: JSON.stringify([
          { name: 'orders', health_url: `${services.orders.url}/ping`, start_grace_seconds: 0 },
          { name: 'billing', health_url: `${services.billing.url}/ping`, start_grace_seconds: 0, depends_on: ['orders'] },
        ]),
        AUTOHEAL_INTERVAL_SECONDS: '1',
        AUTOHEAL_CHECK_TIMEOUT_MS: '500',
      }),
      { runtime, env: {} },
    );
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.start();
  });
  afterAll(async () => {
    await cc.close();
    for (const s of Object.values(services)) {
      s.server.closeAllConnections();
      await new Promise((r) => s.server.close(r));
    }
  });

  const get = async (path: string, roles = 'viewer') => {
    const res = await fetch(`${url}${path}`, { headers: { 'x-user-roles': roles } });
    return (await res.json()) as Record<string, any>;
  };

  it('restarts a service that answers 500, verifies it, and history, stats, events and its why agree', async () => {
    await expect.poll(async () => (await get('/autoheal/status')).services.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['billing', 'healthy'],
      ['orders', 'healthy'],
    ]);
    services.orders!.mode = 'error';
    await expect.poll(async () => (await get('/autoheal/history')).history.length).toBe(1);
    expect(runtime.restarts()).toEqual(['orders']);
    const { history, total_in_history } = await get('/autoheal/history');
    expect(total_in_history).toBe(1);
    expect(history[0]).toMatchObject({
      service: 'orders', outcome: 'succeeded', reason: 'threshold_reached', attempt: 1, delay_ms: 0, error: null,
      probe: { check: 'http', status_code: 500, error: 'HTTP 500, expected 200–299' }, detected_at: expect.any(String), started_at: expect.any(String),
    });
    expect(await get('/autoheal/stats')).toMatchObject({ total_attempts: 1, successful: 1, failed: 0, success_rate: 1, services: { orders: 1 }, most_healed: 'orders' });
    const events = (await get('/events/recent?event_type=autoheal.*')).events as { type: string; data: Record<string, unknown>; source: string }[];
    expect(events.map((e) => e.type)).toEqual(['autoheal.succeeded', 'autoheal.attempted']);
    expect(events[1]!.data).toMatchObject({ service: 'orders', attempt: 1, heal_id: history[0].id });
    const why = await get('/autoheal/services/orders');
    expect(why).toMatchObject({ name: 'orders', source: 'configured', decision: { reason: expect.stringMatching(/healed|healthy/) }, last_heal: { id: history[0].id } });
    // billing depends on orders: it was never restarted for orders' fault.
    expect((await get('/autoheal/services/billing')).depends_on).toEqual(['orders']);
  });

  it('a hung service fails its check at the timeout and is restarted too', async () => {
    services.billing!.mode = 'hang';
    await expect.poll(async () => (await get('/autoheal/history')).total_in_history).toBe(2);
    expect(runtime.restarts()).toEqual(['orders', 'billing']);
    expect((await get('/autoheal/history?limit=1')).history[0]).toMatchObject({ service: 'billing', outcome: 'succeeded', probe: { error: 'no answer within 500 ms' } });
  });

  it('registered services join the targets, marked where they came from', async () => {
    const reg = await fetch(`${url}/ops/register`, {
      method: 'POST',
      headers: { 'x-user-roles': 'operator', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'orders', url: services.orders!.url }),
    });
    expect(reg.status).toBe(200);
    await fetch(`${url}/ops/register`, {
      method: 'POST',
      headers: { 'x-user-roles': 'operator', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'inventory', url: services.billing!.url }),
    });
    await expect.poll(async () => (await get('/autoheal/status')).services.map((s: { name: string; source: string }) => [s.name, s.source])).toEqual([
      ['billing', 'configured'],
      ['inventory', 'registry'],
      ['orders', 'both'],
    ]);
  });

  it('operators put a service in maintenance; viewers may not', async () => {
    const post = (roles: string) =>
      fetch(`${url}/autoheal/maintenance`, {
        method: 'POST',
        headers: { 'x-user-roles': roles, 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'orders', duration_seconds: 60, reason: 'schema migration' }),
      });
    expect((await post('viewer')).status).toBe(403);
    expect((await post('operator')).status).toBe(201);
    services.orders!.mode = 'error';
    await expect.poll(async () => (await get('/autoheal/services/orders')).decision.reason, { timeout: 15_000 }).toBe('maintenance');
    expect(runtime.restarts()).toEqual(['orders', 'billing']);
    expect((await get('/autoheal/history?limit=1')).history[0]).toMatchObject({ service: 'orders', outcome: 'skipped', reason: 'maintenance' });
  });
  it('answers each role as DESIGN §3 says: reads for ops:read, writes for ops:operate, and /ops/me agrees', async () => {
    // Bodies and ids that change nothing: an allowed call gets past RBAC to a 400 or 404, a denied one stops at 401/403.
    const reads: [string, string][] = [['GET', '/autoheal/status'], ['GET', '/autoheal/history'], ['GET', '/autoheal/stats'], ['GET', '/autoheal/services/nope'], ['GET', '/autoheal/maintenance']];
    const writes: [string, string, string, unknown?][] = [
      ['POST', '/autoheal/maintenance', '/autoheal/maintenance', {}],
      ['DELETE', '/autoheal/maintenance/{id}', '/autoheal/maintenance/nope'],
      ['PUT', '/autoheal/services/{name}/quarantine', '/autoheal/services/nope/quarantine', {}],
      ['DELETE', '/autoheal/services/{name}/quarantine', '/autoheal/services/nope/quarantine'],
      ['PUT', '/autoheal/dry-run', '/autoheal/dry-run', {}],
    ];
    const call = async (method: string, path: string, roles: string | null, body?: unknown) =>
      (await fetch(`${url}${path}`, {
        method,
        headers: { ...(roles ? { 'x-user-roles': roles } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })).status;
    for (const roles of ['viewer', 'agent', 'operator', 'admin']) {
      const operates = roles === 'operator' || roles === 'admin';
      const me = (await get('/ops/me', roles)).routes as Record<string, boolean>;
      for (const [method, path] of reads) {
        expect(me[`${method} ${path.replace('nope', '{name}')}`], `${roles} ${method} ${path}`).toBe(true);
        expect([200, 404], `${roles} ${method} ${path}`).toContain(await call(method, path, roles));
      }
      for (const [method, template, path, body] of writes) {
        expect(me[`${method} ${template}`], `${roles} ${method} ${template}`).toBe(operates);
        const status = await call(method, path, roles, body);
        if (operates) expect([400, 404], `${roles} ${method} ${path}`).toContain(status);
        else expect(status, `${roles} ${method} ${path}`).toBe(403);
      }
    }
    for (const [method, path] of [...reads, ...writes.map(([m, , p]) => [m, p] as [string, string])]) expect(await call(method, path, null), `${method} ${path}`).toBe(401);
  });
});
