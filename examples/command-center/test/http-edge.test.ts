import { memoryStores, soleLeader } from '@aetherlink/core';
import { rawHttp } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

const OPERATOR = { 'x-user-roles': 'operator' };

describe('the reference server at its HTTP edge', () => {
  let cc: CommandCenter;
  let url: string;
  const lines: string[] = [];
  let failAppends = false;

  beforeAll(async () => {
    const stores = memoryStores();
    const append = stores.events.append.bind(stores.events);
    // A store that breaks on demand: the realistic source of an unexpected 500.
    stores.events.append = (...args) => (failAppends ? Promise.reject(new Error('disk I/O error while appending')) : append(...args));
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'error', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), {
      env: {},
      stores: { stores, leader: soleLeader(), where: 'sqlite /var/lib/aetherlink/secret-location.db' },
      logStream: { write: (line) => void lines.push(line) },
    });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => cc.close());

  const isProblem = (type: string | null | undefined) => /^application\/problem\+json/.test(type ?? '');

  it('logs an unexpected error with method, route, request id and the error, never the token or the body', async () => {
    failAppends = true;
    try {
      const res = await fetch(`${url}/events/publish?token=query-secret-789`, {
        method: 'POST',
        headers: { ...OPERATOR, authorization: 'Bearer token-secret-123', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'crm.login', source: 'crm', data: { password: 'body-secret-456' } }),
      });
      expect(res.status).toBe(500);
    } finally {
      failAppends = false;
    }
    await expect.poll(() => lines.some((l) => l.includes('request failed unexpectedly'))).toBe(true);
    const entry = JSON.parse(lines.find((l) => l.includes('request failed unexpectedly'))!) as Record<string, unknown>;
    expect(entry).toMatchObject({ method: 'POST', route: '/events/publish', request_id: expect.any(String), err: { message: 'disk I/O error while appending' } });
    const all = lines.join('\n');
    for (const secret of ['token-secret-123', 'body-secret-456', 'query-secret-789']) expect(all).not.toContain(secret);
  });

  it('shows /ops/instance, which names where the data lives, to operators only', async () => {
    const viewer = await fetch(`${url}/ops/instance`, { headers: { 'x-user-roles': 'viewer' } });
    expect(viewer.status).toBe(403);
    expect(await viewer.text()).not.toContain('secret-location');
    const operator = await fetch(`${url}/ops/instance`, { headers: OPERATOR });
    expect(operator.status).toBe(200);
    expect(await operator.json()).toMatchObject({ instance: cc.instance, store: 'sqlite /var/lib/aetherlink/secret-location.db' });
  });

  it('answers every framework-level rejection as problem+json', async () => {
    const badUrl = await rawHttp(url, { path: '/ops/services/%ff', headers: [['x-user-roles', 'operator']] });
    expect(badUrl.status).toBe(400);
    expect(isProblem(badUrl.headers['content-type'])).toBe(true);
    expect(JSON.parse(badUrl.body)).toMatchObject({ code: 'bad_request', errors: [{ field: 'path' }] });

    // 150 characters: more than Fastify's default parameter limit (100), within the route's schema (200).
    const long = await fetch(`${url}/ops/services/${'s'.repeat(150)}`, { headers: OPERATOR });
    expect(long.status).toBe(404);
    expect(isProblem(long.headers.get('content-type'))).toBe(true);
    expect(await long.json()).toMatchObject({ code: 'not_found' });

    const headers = await rawHttp(url, { path: '/ops/ping', headers: [['x-padding', 'p'.repeat(20_000)]] });
    expect(headers.status).toBe(431);
    expect(isProblem(headers.headers['content-type'])).toBe(true);

    const unknown = await fetch(`${url}/no/such/route`);
    expect(unknown.status).toBe(404);
    expect(isProblem(unknown.headers.get('content-type'))).toBe(true);

    const twice = await rawHttp(url, { path: '/ops/services', headers: [['x-user-roles', 'viewer'], ['x-user-roles', 'operator']] });
    expect(twice.status).toBe(400);
    expect(JSON.parse(twice.body)).toMatchObject({ code: 'validation_failed', errors: [{ field: 'x-user-roles', in: 'header' }] });
  });
});
