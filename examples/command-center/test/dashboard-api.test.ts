import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';
import { tempDbPath } from './helpers.js';

// The routes the dashboard is built on, over HTTP on the reference server with its SQLite default: how to sign in,
// who is signed in, the static files, and the bucketed event stats behind the chart.
describe('the dashboard’s API', () => {
  let cc: CommandCenter | undefined;
  afterEach(async () => {
    await cc?.close();
    cc = undefined;
  });

  const start = async (env: Record<string, string> = {}) => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: tempDbPath(), SELF_REGISTER: 'false', ...env }), { env: {} });
    const url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}${path}`, { headers });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, any> };
    };
    return { url, cc, get };
  };

  it('GET /ops/auth tells anyone how to sign in; GET /ops/me tells a principal what it may call', async () => {
    const { get } = await start();
    expect(await get('/ops/auth')).toMatchObject({ status: 200, body: { mode: 'header', header: 'x-user-roles', roles: ['admin', 'operator', 'agent', 'viewer'] } });
    expect((await get('/ops/me')).status).toBe(401);
    const viewer = await get('/ops/me', { 'x-user-roles': 'viewer', 'x-user-id': 'grace' });
    expect(viewer).toMatchObject({ status: 200, body: { id: 'grace', via: 'header', roles: ['viewer'], permissions: ['ops:read', 'crm:read'] } });
    expect(viewer.body.routes).toMatchObject({
      'GET /events/stats': true,
      'GET /events/stream': true,
      'GET /providers/health': true,
      'GET /ops/ping': true,
      'GET /audit/stats': false,
      'GET /ops/health': false,
      'PUT /ops/services/{name}/maintenance': false,
      'POST /events/publish': false,
    });
    // Only documented routes: not the dashboard's files.
    expect(Object.keys(viewer.body.routes).some((r) => r.includes('/dashboard'))).toBe(false);
    const admin = await get('/ops/me', { 'x-user-roles': 'admin' });
    expect(Object.values(admin.body.routes).every(Boolean)).toBe(true);
  });

  it('GET /ops/auth says jwt in JWT mode, and lists no header', async () => {
    const { get } = await start({ AUTH_MODE: 'jwt', JWT_ISSUER: 'https://sso.example', JWT_AUDIENCE: 'aetherlink', JWT_JWKS_URL: 'http://127.0.0.1:9/certs' });
    const { body } = await get('/ops/auth');
    expect(body).toEqual({ mode: 'jwt', roles: ['admin', 'operator', 'agent', 'viewer'] });
  });

  it('serves every dashboard module with its type under the page’s CSP, and nothing but the dashboard’s files', async () => {
    const { url } = await start();
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/dashboard/main.js', 'text/javascript'],
      ['/dashboard/lib/sse.js', 'text/javascript'],
      ['/dashboard/panels/chart.js', 'text/javascript'],
      ['/dashboard/app.css', 'text/css'],
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    // Every module the entry imports is served (a missing one would break the page without a build to catch it).
    const main = await (await fetch(`${url}/dashboard/main.js`)).text();
    for (const [, spec] of main.matchAll(/from '\.\/(.+?)'/g)) expect((await fetch(`${url}/dashboard/${spec}`)).status, spec).toBe(200);
    expect((await fetch(`${url}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/dashboard/lib/nothing.js`)).status).toBe(404);
  });

  it('GET /events/stats with bucket and since adds every bucket’s counts by severity, counted by the store', async () => {
    const { get } = await start();
    const now = Date.now();
    const at = (agoMs: number, severity: string) => cc!.bus.publish({ type: 'series.point', source: 'test', severity, time: new Date(now - agoMs).toISOString() });
    await at(3 * 60_000, 'error');
    await at(3 * 60_000, 'warning');
    await at(3 * 60_000, 'error');
    await at(20 * 60_000, 'info'); // outside 15 minutes
    const viewer = { 'x-user-roles': 'viewer' };
    const { status, body } = await get('/events/stats?bucket=1m&since=15m', viewer);
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 4, last_24h: 4, by_severity: { info: 1, warning: 1, error: 2, critical: 0 } });
    expect(body.series).toMatchObject({ bucket: '1m', bucket_ms: 60_000 });
    expect(body.series.buckets).toHaveLength(16);
    const start3 = new Date(Math.floor((now - 3 * 60_000) / 60_000) * 60_000).toISOString();
    expect(body.series.buckets.filter((b: { info: number; warning: number; error: number; critical: number }) => b.info + b.warning + b.error + b.critical > 0)).toEqual([
      { start: start3, info: 0, warning: 1, error: 2, critical: 0 },
    ]);
    // Without bucket and since, the answer is DESIGN §4's as before.
    expect(Object.keys((await get('/events/stats', viewer)).body).sort()).toEqual(['by_severity', 'last_24h', 'total']);
  });

  it('refuses a series it cannot answer with a 400 naming the field', async () => {
    const { get } = await start();
    const viewer = { 'x-user-roles': 'viewer' };
    const fields = async (query: string) => {
      const res = await get(`/events/stats?${query}`, viewer);
      expect(res.status, query).toBe(400);
      expect(res.type, query).toContain('application/problem+json');
      return (res.body.errors as { field: string }[]).map((e) => e.field);
    };
    expect(await fields('bucket=1m')).toEqual(['since']);
    expect(await fields('since=1h')).toEqual(['bucket']);
    expect(await fields('bucket=5ms&since=1h')).toEqual(['bucket']);
    expect(await fields('bucket=1s&since=24h')).toEqual(['bucket']);
    expect(await fields('bucket=1m&since=soon')).toEqual(['since']);
    expect(await fields('bucket=1m&since=2999-01-01T00:00:00Z')).toEqual(['since']);
  });

  it('GET /audit/records lists the operators’ actions (writes=true), newest first, with who and what the server answered; operators only', async () => {
    const { url, get } = await start();
    const send = (method: string, path: string, roles: string, body?: unknown) =>
      fetch(`${url}${path}`, { method, headers: { 'x-user-roles': roles, 'x-user-id': 'ada', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    expect((await send('POST', '/alerts/templates/high-cpu/materialize', 'operator')).status).toBe(201);
    expect((await send('POST', '/alerts/rules', 'operator', { name: 'x', window_seconds: 0, threshold: 1 })).status).toBe(400);
    expect((await send('POST', '/alerts/evaluate', 'viewer')).status).toBe(403);
    await get('/events/stats', { 'x-user-roles': 'viewer' });
    const operator = { 'x-user-roles': 'operator' };
    const { status, body } = await get('/audit/records?writes=true', operator);
    expect(status).toBe(200);
    expect(body.records.map((r: { method: string; path: string; status: number; principal?: string; roles: string[] }) => [r.method, r.path, r.status, r.principal, r.roles])).toEqual([
      ['POST', '/alerts/evaluate', 403, 'ada', ['viewer']],
      ['POST', '/alerts/rules', 400, 'ada', ['operator']],
      ['POST', '/alerts/templates/{id}/materialize', 201, 'ada', ['operator']],
    ]);
    expect(body.next_before).toBeNull();
    // Paged with before; without writes=true the reads are there too.
    const first = await get('/audit/records?writes=true&limit=2', operator);
    expect(first.body.records).toHaveLength(2);
    const rest = await get(`/audit/records?writes=true&limit=2&before=${first.body.next_before}`, operator);
    expect(rest.body.records.map((r: { path: string }) => r.path)).toEqual(['/alerts/templates/{id}/materialize']);
    expect((await get('/audit/records?limit=200', operator)).body.records.some((r: { path: string }) => r.path === '/events/stats')).toBe(true);
    expect((await get('/audit/records?path=/alerts/rules&writes=true', operator)).body.records).toHaveLength(1);
    // Several routes at once, comma-separated: the ops plane's writes without the rest.
    const some = await get('/audit/records?path=/alerts/evaluate,/alerts/templates/{id}/materialize,/nowhere', operator);
    expect(some.body.records.map((r: { path: string }) => r.path)).toEqual(['/alerts/evaluate', '/alerts/templates/{id}/materialize']);
    expect((await get('/audit/records', { 'x-user-roles': 'viewer' })).status).toBe(403);
    const bad = await get('/audit/records?limit=0&writes=maybe', operator);
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['limit', 'writes']);
  });
});
