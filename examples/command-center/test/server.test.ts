import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAuditSink } from '@aetherlink/core';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

const listen = async (cc: CommandCenter) => cc.app.listen({ port: 0, host: '127.0.0.1' });

describe('command center routes (DESIGN §4)', () => {
  let cc: CommandCenter;
  let url: string;
  const sink = memoryAuditSink();
  beforeAll(async () => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), { auditSinks: [sink], env: {} });
    url = await listen(cc);
  });
  afterAll(() => cc.close());

  const get = async (path: string, roles?: string) => {
    const res = await fetch(`${url}${path}`, { headers: roles ? { 'x-user-roles': roles } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('GET /ops/ping and /ping name the service and version', async () => {
    expect(await get('/ops/ping')).toEqual({ status: 200, body: { status: 'ok', service: 'aetherlink-command-center', version: cc.version } });
    expect(await get('/ping')).toEqual({ status: 200, body: { status: 'ok', service: 'aetherlink-command-center', version: cc.version, providers: ['ollama'] } });
  });

  it('publishes, lists, counts and describes events with the seed shapes', async () => {
    const res = await fetch(`${url}/events/publish`, {
      method: 'POST',
      headers: { 'x-user-roles': 'agent', 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'autoheal.failed', source: 'aether-auto-heal', payload: { service: 'api', error: 'exit 137' }, severity: 'error' }),
    });
    const published = (await res.json()) as { status: string; event_id: string };
    expect(published).toMatchObject({ status: 'ok', event_id: expect.any(String) });
    const recent = await get('/events/recent?event_type=autoheal.failed&limit=5', 'viewer');
    expect(recent.body).toMatchObject({ count: 1, events: [{ id: published.event_id, type: 'autoheal.failed', severity: 'error', source: 'aether-auto-heal' }] });
    const stats = await get('/events/stats', 'viewer');
    expect(stats.body).toMatchObject({ total: 1, last_24h: 1, by_severity: { info: 0, warning: 0, error: 1, critical: 0 } });
    // Core's own type plus each module's: registry, auto-heal, AI router, alerts, and the CRM types the console knows.
    const schema = (await get('/events/schema', 'viewer')).body as { strict: boolean; types: { type: string; builtin: boolean }[] };
    expect(schema.strict).toBe(false);
    expect(schema.types.map((t) => t.type).sort()).toEqual(
      [
        'security.rbac.violation', 'service.registered', 'service.unregistered', 'service.health.failed', 'ai.provider.used', 'ai.fallback.used',
        'ai.fallback.failed', 'ai.summary.created', 'ops.alert.raised', 'ops.alert.resolved', 'lead.created',
        'autoheal.attempted', 'autoheal.succeeded', 'autoheal.failed', 'autoheal.skipped', 'autoheal.quarantined', 'autoheal.released',
      ].sort(),
    );
    expect(schema.types.every((t) => t.builtin)).toBe(true);
    expect((await get('/events/schema/lead.created', 'viewer')).status).toBe(200);
    expect((await get('/events/schema/lead.deleted', 'viewer')).status).toBe(404);
  });

  it('GET /audit/stats counts requests and is for operators', async () => {
    expect((await get('/audit/stats')).status).toBe(401);
    expect((await get('/audit/stats', 'agent')).status).toBe(403);
    const { body } = await get('/audit/stats', 'operator');
    expect(body).toMatchObject({ total_requests: expect.any(Number), denied_401_unauthorized: expect.any(Number), denied_403_forbidden: expect.any(Number) });
    expect((body.by_path as Record<string, number>)['/audit/stats']).toBeGreaterThanOrEqual(2);
    // The stats request itself is recorded once its answer is sent.
    await expect.poll(() => sink.records().length).toBe((body.total_requests as number) + 1);
  });

  it('registers a service, probes it and aggregates health worst-first (the seed API)', async () => {
    const healthy = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"status":"ok"}'));
    await new Promise<void>((r) => healthy.listen(0, '127.0.0.1', r));
    const port = (healthy.address() as AddressInfo).port;
    try {
      const reg = await fetch(`${url}/ops/register`, {
        method: 'POST',
        headers: { 'x-user-roles': 'operator', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'billing', url: `http://127.0.0.1:${port}`, version: '2.4.1', roles_required: ['operator'], tags: ['pay'] }),
      });
      expect(reg.status).toBe(200);
      const services = await get('/ops/services', 'operator');
      expect(services.body).toMatchObject({ count: 1, services: [{ name: 'billing', health_url: `http://127.0.0.1:${port}/ping`, version: '2.4.1', tags: ['pay'], status: 'down' }] });
      const health = await get('/ops/health?fresh=true', 'operator');
      expect(health.body).toMatchObject({ status: 'ok', services: [{ name: 'billing', status: 'ok', error: null }] });
      expect((await get('/ops/health', 'viewer')).status).toBe(403);
      const del = await fetch(`${url}/ops/services/billing`, { method: 'DELETE', headers: { 'x-user-roles': 'operator' } });
      expect(del.status).toBe(200);
      const again = await fetch(`${url}/ops/services/billing`, { method: 'DELETE', headers: { 'x-user-roles': 'operator' } });
      expect(again.status).toBe(404);
      const events = await get('/events/recent?event_type=service.*', 'viewer');
      expect((events.body.events as { type: string }[]).map((e) => e.type)).toEqual(['service.unregistered', 'service.registered']);
    } finally {
      await new Promise<void>((r) => healthy.close(() => r()));
    }
  });

  it('GET /openapi.json documents every route', async () => {
    const { body } = await get('/openapi.json');
    const paths = Object.keys(body.paths as object).sort();
    expect(paths).toEqual(
      [
        '/audit/stats', '/audit/records', '/events/publish', '/events/recent', '/events/schema', '/events/schema/{type}', '/events/stats', '/events/stream',
        '/docs', '/health', '/health.json', '/metrics', '/openapi.json', '/ops/auth', '/ops/instance', '/ops/me', '/ops/ping', '/ping', '/ops/register', '/ops/services', '/ops/services/{name}',
        '/ops/services/{name}/heartbeat', '/ops/services/{name}/maintenance', '/ops/health',
        '/autoheal/status', '/autoheal/history', '/autoheal/stats', '/autoheal/services/{name}', '/autoheal/services/{name}/quarantine',
        '/autoheal/maintenance', '/autoheal/maintenance/{id}', '/autoheal/dry-run',
        '/orchestrate', '/providers/health', '/v1/chat/completions', '/v1/models',
        '/alerts/rules', '/alerts/rules/{id}', '/alerts/rules/{id}/enabled', '/alerts/rules/{id}/alerts', '/alerts/rules/preview', '/alerts/active',
        '/alerts/evaluate', '/alerts/silences', '/alerts/silences/{id}', '/alerts/templates', '/alerts/templates/{id}/materialize',
        '/alerts/deliveries', '/alerts/deliveries/stats', '/alerts/deliveries/history', '/alerts/deliveries/replay-bulk', '/alerts/deliveries/{id}',
        '/alerts/deliveries/{id}/replay', '/alerts/endpoints', '/alerts/endpoints/{id}', '/alerts/endpoints/{id}/test', '/alerts/endpoints/{id}/replay-dead-letters',
      ].sort(),
    );
    expect([...new Set(cc.routes.filter((r) => !r.openapi?.hidden).map((r) => r.path))].sort()).toEqual(paths);
  });
});

describe('command center with AUTH_MODE=jwt', () => {
  let cc: CommandCenter;
  let url: string;
  let jwks: Server;
  let key: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'main', alg: 'ES256' };
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    cc = await createCommandCenter(
      loadConfig({
        LOG_LEVEL: 'silent',
        AUDIT_LOG: 'off',
        AETHERLINK_DB: ':memory:',
        SELF_REGISTER: 'false',
        AUTH_MODE: 'jwt',
        JWT_ISSUER: 'https://sso.example/realms/ops',
        JWT_AUDIENCE: 'aetherlink',
        JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`,
        JWT_ROLES_CLAIM: 'realm_access.roles',
      }),
    );
    url = await listen(cc);
  });
  afterAll(async () => {
    await cc.close();
    await new Promise<void>((r) => jwks.close(() => r()));
  });

  const token = (roles: string[]) =>
    new SignJWT({ realm_access: { roles } })
      .setProtectedHeader({ alg: 'ES256', kid: 'main' })
      .setIssuer('https://sso.example/realms/ops')
      .setAudience('aetherlink')
      .setExpirationTime('5m')
      .sign(key);

  it('accepts bearer tokens and ignores X-User-Roles', async () => {
    const ok = await fetch(`${url}/audit/stats`, { headers: { authorization: `Bearer ${await token(['operator'])}` } });
    expect(ok.status).toBe(200);
    const viewer = await fetch(`${url}/audit/stats`, { headers: { authorization: `Bearer ${await token(['viewer'])}` } });
    expect(viewer.status).toBe(403);
    const header = await fetch(`${url}/audit/stats`, { headers: { 'x-user-roles': 'admin' } });
    expect(header.status).toBe(401);
    const bad = await fetch(`${url}/audit/stats`, { headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/rejected/);
  });
});
