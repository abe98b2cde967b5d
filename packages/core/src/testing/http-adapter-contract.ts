import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import { auditRoutes } from '../audit/routes.js';
import { memoryAuditSink } from '../audit/sinks.js';
import { AetherError } from '../errors.js';
import { createEventBus, type EventBus } from '../events/bus.js';
import { JOB_FAILED } from './event-types.js';
import { eventRoutes } from '../events/routes.js';
import type { HttpAdapterOptions } from '../http/adapter.js';
import { defineRoute, reply, type AnyRouteSpec } from '../http/route.js';
import type { Permission } from '../rbac/policy.js';
import { describeHttpEdgeContract } from './http-adapter-contract-edge.js';
import { describeCloudEventsContract } from './http-adapter-contract-cloudevents.js';
import { describeJwtContract } from './http-adapter-contract-jwt.js';
import { describeTraceContract } from './http-adapter-contract-trace.js';
import { openStream } from './sse-client.js';

/** What the contract suite asks an adapter to serve. */
export interface HttpContractServerOptions extends HttpAdapterOptions {
  routes: AnyRouteSpec[];
  /** Mount a plain route of the framework's own at this path, protected by the adapter's guard, answering `{ ok: true }`. */
  guarded: { path: string; permission: Permission };
}

export interface HttpContractServer {
  /** Base URL on 127.0.0.1, without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string; in?: string }[];
}

const OPERATOR = { 'x-user-roles': 'operator' };
const VIEWER = { 'x-user-roles': 'viewer' };

/** A handler that waits until the test lets it go, and says when it has started waiting. */
const gate = () => ({ entered: Promise.withResolvers<void>(), release: Promise.withResolvers<void>() });

/**
 * The HTTP adapter contract (DESIGN §3–4): every adapter starts one real server with these options and must
 * behave identically: 401 vs 403, violation events, audit, validation naming fields, problem+json, SSE.
 * @example describeHttpAdapterContract('fastify', async (opts) => startFastify(opts))
 */
export function describeHttpAdapterContract(name: string, start: (options: HttpContractServerOptions) => Promise<HttpContractServer>): void {
  describe(`HTTP adapter contract: ${name}`, () => {
    let server: HttpContractServer;
    let bus: EventBus;
    let audit: AuditLog;
    const sink = memoryAuditSink({ max: 10_000 });
    const unexpected: unknown[] = [];
    const logged: { error: unknown; where: unknown }[] = [];
    let slow = gate();

    beforeAll(async () => {
      bus = createEventBus({ source: 'contract' });
      bus.registry.register(JOB_FAILED);
      audit = createAuditLog({ service: 'contract', sinks: [sink] });
      const routes: AnyRouteSpec[] = [
        ...eventRoutes({ bus }),
        ...auditRoutes({ audit }),
        defineRoute({ method: 'GET', path: '/t/public', permission: 'public', handler: () => ({ ok: true }) }),
        defineRoute({
          method: 'GET',
          path: '/t/items/{id}',
          permission: 'ops:read',
          params: z.object({ id: z.string().regex(/^\d+$/, 'must be digits') }),
          query: z.object({ verbose: z.enum(['true', 'false']).optional() }),
          handler: ({ params, query, principal }) => ({ id: params.id, verbose: query.verbose ?? null, roles: principal?.roles }),
        }),
        defineRoute({
          method: 'POST',
          path: '/t/items',
          permission: 'ops:operate',
          body: z.strictObject({ name: z.string().min(1), count: z.number().int().min(0) }),
          bodyLimit: 1024,
          handler: ({ body }) => reply(201, { created: body.name }, { location: `/t/items/${body.count}` }),
        }),
        defineRoute({
          method: 'GET',
          path: '/t/missing',
          permission: 'public',
          handler: () => {
            throw new AetherError('not_found', 'no such thing here');
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/t/boom',
          permission: 'public',
          handler: () => {
            throw new Error('secret internal detail');
          },
        }),
        defineRoute({ method: 'GET', path: '/t/text', permission: 'public', handler: () => reply(200, 'plain words', {}, 'text/plain; charset=utf-8') }),
        defineRoute({
          method: 'POST',
          path: '/t/boom',
          permission: 'public',
          body: z.unknown(),
          handler: () => {
            throw new Error('boom: the handler failed');
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/t/slow',
          permission: 'public',
          handler: async () => {
            slow.entered.resolve();
            await slow.release.promise;
            return { ok: true };
          },
        }),
      ];
      server = await start({
        service: 'contract',
        routes,
        audit,
        bus,
        guarded: { path: '/t/plain', permission: 'ops:operate' },
        onError: (error, where) => {
          unexpected.push(error);
          logged.push({ error, where });
        },
        sse: { heartbeatMs: 60_000 },
      });
    });
    afterAll(async () => {
      await server?.close();
    });
    beforeEach(() => {
      sink.clear();
    });

    const call = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
      const res = await fetch(`${server.url}${path}`, init);
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      const body = type.includes('json') && text ? JSON.parse(text) : text;
      return { status: res.status, headers: res.headers, body };
    };
    const post = (path: string, body: unknown, headers: Record<string, string> = OPERATOR) =>
      call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const expectProblem = (res: { status: number; headers: Headers; body: unknown }, status: number, code: string, fields?: string[]) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const p = res.body as Problem;
      expect(p).toMatchObject({ status, code, type: `urn:aetherlink:problem:${code}` });
      expect(typeof p.title).toBe('string');
      expect(typeof p.detail).toBe('string');
      if (fields) expect(p.errors?.map((e) => e.field)).toEqual(fields);
      return p;
    };

    it('serves public routes without credentials', async () => {
      const res = await call('/t/public');
      expect(res).toMatchObject({ status: 200, body: { ok: true } });
    });

    it('answers 401 problem+json without credentials, and 403 with a role lacking the permission', async () => {
      const res401 = await call('/t/items/1');
      expectProblem(res401, 401, 'unauthorized');
      expect(res401.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const res403 = await call('/audit/stats', { headers: VIEWER });
      const p = expectProblem(res403, 403, 'forbidden');
      expect(p.detail).toMatch(/ops:operate/);
    });

    it('publishes security.rbac.violation on 403 with the route template and roles', async () => {
      await call('/t/items', { method: 'POST', headers: { ...VIEWER, 'content-type': 'application/json', 'x-user-id': 'u-9' }, body: '{}' });
      await expect.poll(async () => (await bus.query({ type: 'security.rbac.violation', limit: 5 })).events.length).toBeGreaterThan(0);
      const [violation] = (await bus.query({ type: 'security.rbac.violation', limit: 1 })).events;
      expect(violation).toMatchObject({
        source: 'contract',
        severity: 'warning',
        data: { method: 'POST', path: '/t/items', permission: 'ops:operate', roles: ['viewer'], principal: 'u-9' },
      });
    });

    it('passes validated params, query and principal to the handler', async () => {
      const res = await call('/t/items/42?verbose=true', { headers: VIEWER });
      expect(res).toMatchObject({ status: 200, body: { id: '42', verbose: 'true', roles: ['viewer'] } });
    });

    it('checks permission before validating, so strangers learn nothing about the schema', async () => {
      expectProblem(await call('/t/items/abc'), 401, 'unauthorized');
    });

    it('names the bad path and query fields', async () => {
      const p = expectProblem(await call('/t/items/abc?verbose=maybe', { headers: VIEWER }), 400, 'validation_failed', ['id', 'verbose']);
      expect(p.errors?.map((e) => e.in)).toEqual(['path', 'query']);
      expectProblem(await call('/events/recent?limit=0', { headers: VIEWER }), 400, 'validation_failed', ['limit']);
      expectProblem(await call('/events/recent?limit=5000', { headers: VIEWER }), 400, 'validation_failed', ['limit']);
      expectProblem(await call('/events/recent?limit=ten', { headers: VIEWER }), 400, 'validation_failed', ['limit']);
      expectProblem(await call('/events/recent?since=last-tuesday', { headers: VIEWER }), 400, 'validation_failed', ['since']);
      expectProblem(await call('/events/recent?severity=loud', { headers: VIEWER }), 400, 'validation_failed', ['severity']);
      expectProblem(await call('/events/recent?cursor=xyz', { headers: VIEWER }), 400, 'validation_failed', ['cursor']);
      expectProblem(await call('/events/recent?limit=1&limit=2', { headers: VIEWER }), 400, 'validation_failed', ['limit']);
    });

    it('names the bad body fields, including unknown ones', async () => {
      expectProblem(await post('/t/items', { count: -1 }), 400, 'validation_failed', ['name', 'count']);
      expectProblem(await post('/t/items', { name: 'a', count: 1, colour: 'red' }), 400, 'validation_failed', ['colour']);
      expectProblem(await post('/t/items', [1, 2]), 400, 'validation_failed');
    });

    it('rejects malformed JSON with 400, an oversized body with 413 and a non-JSON body with 415', async () => {
      expectProblem(await post('/t/items', '{"name": "a",'), 400, 'bad_request', ['body']);
      expectProblem(await post('/t/items', { name: 'x'.repeat(2000), count: 1 }), 413, 'payload_too_large');
      const res = await call('/t/items', { method: 'POST', headers: { ...OPERATOR, 'content-type': 'text/plain' }, body: 'name=a' });
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('lets handlers set status and headers, and send non-JSON bodies', async () => {
      const created = await post('/t/items', { name: 'widget', count: 3 });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe('/t/items/3');
      expect(created.body).toEqual({ created: 'widget' });
      const text = await call('/t/text');
      expect(text.status).toBe(200);
      expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(text.body).toBe('plain words');
    });

    it('maps AetherError codes, unknown routes and unexpected errors to problem+json', async () => {
      const missing = expectProblem(await call('/t/missing'), 404, 'not_found');
      expect(missing.detail).toBe('no such thing here');
      expectProblem(await call('/no/such/route'), 404, 'not_found');
      const before = unexpected.length;
      const boom = expectProblem(await call('/t/boom'), 500, 'internal');
      expect(JSON.stringify(boom)).not.toContain('secret internal detail');
      expect(unexpected.length).toBe(before + 1);
    });

    it('hands the error log the method, route template and request id only: never a token, the query or the body', async () => {
      const before = logged.length;
      const res = await call('/t/boom?api_key=query-secret-789', {
        method: 'POST',
        headers: { authorization: 'Bearer token-secret-123', 'content-type': 'application/json', 'x-user-roles': 'admin' },
        body: JSON.stringify({ password: 'body-secret-456' }),
      });
      expectProblem(res, 500, 'internal');
      expect(logged.length).toBe(before + 1);
      const { error, where } = logged.at(-1)!;
      expect(where).toMatchObject({ method: 'POST', path: '/t/boom' });
      expect(Object.keys(where as object).every((k) => ['method', 'path', 'request_id'].includes(k))).toBe(true);
      // What a logger would write for `{ err, ...where }`, however deep it looks.
      const line = inspect({ err: error, ...(where as object) }, { depth: 20, getters: true });
      expect(line).toContain('boom: the handler failed');
      for (const secret of ['token-secret-123', 'body-secret-456', 'query-secret-789']) expect(line).not.toContain(secret);
    });

    it('guards a plain framework route with the same 401/403 rules', async () => {
      expectProblem(await call('/t/plain'), 401, 'unauthorized');
      expectProblem(await call('/t/plain', { headers: VIEWER }), 403, 'forbidden');
      expect(await call('/t/plain', { headers: OPERATOR })).toMatchObject({ status: 200, body: { ok: true } });
    });

    it('audits one record per request with the route template, roles and status', async () => {
      await call('/t/items/7', { headers: VIEWER });
      await call('/t/items/7');
      await call('/audit/stats', { headers: VIEWER });
      await call('/nowhere/123');
      await call('/t/plain', { headers: OPERATOR });
      await expect.poll(() => sink.records().length).toBe(5);
      expect(sink.records().map((r) => [r.method, r.path, r.status, r.roles.join(',')])).toEqual([
        ['GET', '/t/items/{id}', 200, 'viewer'],
        ['GET', '/t/items/{id}', 401, ''],
        ['GET', '/audit/stats', 403, 'viewer'],
        ['GET', '<unmatched>', 404, ''],
        ['GET', '/t/plain', 200, 'operator'],
      ]);
      const r = sink.records()[0]!;
      expect(r.service).toBe('contract');
      expect(r.client_ip).toMatch(/127\.0\.0\.1/);
      expect(r.duration_ms).toBeGreaterThanOrEqual(0);
      const stats = (await call('/audit/stats', { headers: OPERATOR })).body as Record<string, number>;
      expect(stats.denied_401_unauthorized).toBeGreaterThan(0);
      expect(stats.denied_403_forbidden).toBeGreaterThan(0);
    });

    it('measures duration_ms over the whole request: a request outlasts every request served while it waited', async () => {
      slow = gate();
      const pending = call('/t/slow');
      await slow.entered.promise;
      // One at a time, each recorded before the next starts, so their durations lie apart inside the slow one's.
      for (let i = 1; i <= 3; i++) {
        await call(`/t/items/${i}`, { headers: VIEWER });
        await expect.poll(() => sink.records().filter((r) => r.path === '/t/items/{id}').length).toBe(i);
      }
      slow.release.resolve();
      expect((await pending).status).toBe(200);
      await expect.poll(() => sink.records().filter((r) => r.path === '/t/slow').length).toBe(1);
      const inner = sink.records().filter((r) => r.path === '/t/items/{id}').map((r) => r.duration_ms);
      const outer = sink.records().find((r) => r.path === '/t/slow')!.duration_ms;
      for (const d of inner) expect(d).toBeGreaterThan(0);
      expect(outer).toBeGreaterThan(inner.reduce((a, b) => a + b, 0));
    });

    it('audits an SSE stream exactly once, with its status and principal, when it ends', async () => {
      const mine = (r: { principal?: string }) => r.principal === 'sse-auditor';
      const stream = await openStream(`${server.url}/events/stream?event_type=audited.*`, { ...VIEWER, 'x-user-id': 'sse-auditor' });
      await post('/events/publish', { type: 'audited.one', source: 's' });
      await stream.next();
      stream.close();
      await expect.poll(() => sink.records().filter(mine).length).toBeGreaterThan(0);
      // A later request recorded after it: a second record of the stream would have come by now.
      await call('/t/items/1', { headers: { ...VIEWER, 'x-user-id': 'after-sse' } });
      await expect.poll(() => sink.records().some((r) => r.principal === 'after-sse')).toBe(true);
      expect(sink.records().filter(mine).map((r) => [r.method, r.path, r.status, r.roles.join(',')])).toEqual([['GET', '/events/stream', 200, 'viewer']]);
    });

    describe('event routes', () => {
      it('publishes the seed shape and the CloudEvents shape, and lists them newest first', async () => {
        const seed = await post('/events/publish', { event_type: 'lead.created', source: 'crm', payload: { lead_id: 1 }, tenant_id: 'acme' }, { 'x-user-roles': 'agent' });
        expect(seed).toMatchObject({ status: 200, body: { status: 'ok', event_id: expect.any(String) } });
        const ce = await post('/events/publish', { type: 'deploy.finished', source: 'ci', id: 'd-1', data: { sha: 'abc' }, severity: 'warning' });
        expect(ce.body).toMatchObject({ status: 'ok', event_id: 'd-1', duplicate: false });
        const again = await post('/events/publish', { type: 'deploy.finished', source: 'ci', id: 'd-1', data: { sha: 'abc' } });
        expect(again.body).toMatchObject({ event_id: 'd-1', duplicate: true });
        const recent = await call('/events/recent?limit=2&event_type=lead.created,deploy.*', { headers: VIEWER });
        expect(recent.status).toBe(200);
        const { events, count } = recent.body as { events: Record<string, unknown>[]; count: number };
        expect(count).toBe(2);
        expect(events.map((e) => e.type)).toEqual(['deploy.finished', 'lead.created']);
        expect(events[1]).toMatchObject({ specversion: '1.0', tenantid: 'acme', data: { lead_id: 1 }, received_at: expect.any(String) });
        expect(events[0]).not.toHaveProperty('seq');
        const filtered = await call('/events/recent?tenant_id=acme&severity=info', { headers: VIEWER });
        expect((filtered.body as { events: unknown[] }).events).toHaveLength(1);
      });

      it('stores nothing when the publish input is bad, and names the field', async () => {
        const before = (await bus.stats()).total;
        expectProblem(await post('/events/publish', '{"type": '), 400, 'bad_request', ['body']);
        expectProblem(await post('/events/publish', { source: 'x' }), 400, 'validation_failed', ['type']);
        expectProblem(await post('/events/publish', { event_type: 'a.b', source: 'x', severity: 'meh' }), 400, 'validation_failed', ['severity']);
        expectProblem(await post('/events/publish', { event_type: 'job.failed', source: 'x', payload: { service: 'api' } }), 400, 'validation_failed', ['payload.error']);
        expectProblem(await post('/events/publish', { type: 'job.failed', source: 'x', data: { service: 1, error: 'e' } }), 400, 'validation_failed', ['data.service']);
        expectProblem(await post('/events/publish', { type: 'a.b', source: 'x', data: 'y'.repeat(70 * 1024) }), 413, 'payload_too_large');
        expectProblem(await post('/events/publish', 'null'), 400, 'validation_failed', ['body']);
        // Bytes that are not UTF-8 are refused, not stored with U+FFFD in their place.
        const notUtf8 = Buffer.concat([Buffer.from('{"type":"a.b","source":"x'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')]);
        const bad = await call('/events/publish', { method: 'POST', headers: { 'content-type': 'application/json', ...OPERATOR }, body: notUtf8 });
        expectProblem(bad, 400, 'validation_failed', ['body']);
        expect((bad.body as Problem).detail).toMatch(/UTF-8/);
        expect((await bus.stats()).total).toBe(before);
        expectProblem(await post('/events/publish', { type: 'a.b', source: 'x' }, VIEWER), 403, 'forbidden');
        expect((await bus.query({ source: 'x' })).events).toHaveLength(0);
      });

      it('answers stats and the schema registry', async () => {
        const stats = await call('/events/stats', { headers: VIEWER });
        expect(stats.body).toMatchObject({ total: expect.any(Number), last_24h: expect.any(Number), by_severity: { info: expect.any(Number) } });
        const list = await call('/events/schema', { headers: VIEWER });
        expect((list.body as { count: number }).count).toBeGreaterThanOrEqual(2);
        const one = await call('/events/schema/job.failed', { headers: VIEWER });
        expect(one.body).toMatchObject({ type: 'job.failed', schema: { type: 'object' } });
        expectProblem(await call('/events/schema/not.a.type', { headers: VIEWER }), 404, 'not_found');
      });

      it('streams matching events over SSE and cleans up when the client goes away', async () => {
        const baseline = bus.subscriberCount();
        const stream = await openStream(`${server.url}/events/stream?event_type=stream.*`, VIEWER);
        await expect.poll(() => bus.subscriberCount()).toBe(baseline + 1);
        expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
        await post('/events/publish', { type: 'other.kind', source: 's' });
        await post('/events/publish', { type: 'stream.one', source: 's', data: { n: 1 } });
        const message = await stream.next();
        expect(JSON.parse(message.data)).toMatchObject({ type: 'stream.one', data: { n: 1 } });
        expect(message.id).toMatch(/^\d+$/);
        stream.close();
        await expect.poll(() => bus.subscriberCount()).toBe(baseline);
      });

      it('resumes a stream from Last-Event-ID without gaps or repeats', async () => {
        const first = await openStream(`${server.url}/events/stream?event_type=resume.*`, VIEWER);
        await post('/events/publish', { type: 'resume.a', source: 's' });
        const a = await first.next();
        first.close();
        await post('/events/publish', { type: 'resume.b', source: 's' });
        await post('/events/publish', { type: 'resume.c', source: 's' });
        const second = await openStream(`${server.url}/events/stream?event_type=resume.*`, { ...VIEWER, 'last-event-id': a.id! });
        const b = await second.next();
        const c = await second.next();
        await post('/events/publish', { type: 'resume.d', source: 's' });
        const d = await second.next();
        second.close();
        expect([b, c, d].map((m) => JSON.parse(m.data).type)).toEqual(['resume.b', 'resume.c', 'resume.d']);
      });

      it('validates stream filters and requires credentials', async () => {
        expectProblem(await call('/events/stream'), 401, 'unauthorized');
        expectProblem(await call('/events/stream?severity=nope', { headers: VIEWER }), 400, 'validation_failed', ['severity']);
      });
    });
  });
  describeCloudEventsContract(name, start);
  describeHttpEdgeContract(name, start);
  describeJwtContract(name, start);
  describeTraceContract(name, start);
}
