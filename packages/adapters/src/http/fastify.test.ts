import { createAuditLog, createEventBus, defineRoute, eventRoutes, memoryAuditSink, reply } from '@aetherlink/core';
import { describeHttpAdapterContract } from '@aetherlink/core/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { aetherlinkFastify, aetherlinkServerOptions } from './fastify.js';
import { startFastify } from './test-support.js';

describeHttpAdapterContract('fastify', startFastify);

describe('aetherlinkFastify: prefix and what the plugin touches', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const build = async (options: { prefix?: string; problemHandlers?: boolean }) => {
    app = Fastify(aetherlinkServerOptions());
    const bus = createEventBus({ source: 'prefix-test' });
    await app.register(aetherlinkFastify, { service: 'prefix-test', routes: eventRoutes({ bus }), bus, ...options });
    // The app's own route, after the plugin: app-wide handlers (when asked for) cover routes declared after them.
    app.get('/own/boom', async () => {
      throw Object.assign(new Error('the app failed'), { statusCode: 409 });
    });
    app.aetherlink.mount([defineRoute({ method: 'GET', path: '/later', permission: 'public', handler: () => ({ later: true }) })]);
    return app;
  };
  const publish = (a: FastifyInstance, url: string, payload: string) =>
    a.inject({ method: 'POST', url, headers: { 'x-user-roles': 'agent', 'content-type': 'application/json' }, payload });
  const isProblem = (res: { headers: Record<string, unknown> }) => String(res.headers['content-type']).startsWith('application/problem+json');

  it('mounts the route specs, and those mounted later, under register(…, { prefix })', async () => {
    const a = await build({ prefix: '/al' });
    expect((await publish(a, '/al/events/publish', '{"type":"a.b","source":"s"}')).statusCode).toBe(200);
    expect((await a.inject('/al/later')).json()).toEqual({ later: true });
    expect((await publish(a, '/events/publish', '{"type":"a.b","source":"s"}')).statusCode).toBe(404);
  });

  it("answers the plugin's own errors and unknown paths under its prefix as problem+json, and leaves the app's alone", async () => {
    const a = await build({ prefix: '/al' });
    const bad = await publish(a, '/al/events/publish', '{"type":');
    expect(bad.statusCode).toBe(400);
    expect(isProblem(bad)).toBe(true);
    const unknownInside = await a.inject('/al/nothing-here');
    expect(unknownInside.statusCode).toBe(404);
    expect(isProblem(unknownInside)).toBe(true);
    const unknownOutside = await a.inject('/nothing-here');
    expect(unknownOutside.statusCode).toBe(404);
    expect(isProblem(unknownOutside)).toBe(false);
    const own = await a.inject('/own/boom');
    expect(own.statusCode).toBe(409);
    expect(isProblem(own)).toBe(false);
    expect(own.json()).toMatchObject({ message: 'the app failed' });
  });

  it("without a prefix still answers its routes' errors as problem+json, and leaves the app's 404 alone", async () => {
    const a = await build({});
    const bad = await publish(a, '/events/publish', '{"type":');
    expect(bad.statusCode).toBe(400);
    expect(isProblem(bad)).toBe(true);
    expect(isProblem(await a.inject('/nothing-here'))).toBe(false);
    expect(isProblem(await a.inject('/own/boom'))).toBe(false);
  });

  it('answers errors and unknown routes of the whole app as problem+json when asked', async () => {
    const a = await build({ prefix: '/al', problemHandlers: true });
    for (const url of ['/nothing-here', '/al/nothing-here', '/own/boom']) {
      const res = await a.inject(url);
      expect(isProblem(res), url).toBe(true);
    }
    expect((await a.inject('/own/boom')).json()).toMatchObject({ status: 409, code: 'conflict' });
  });

  it('answers a path parameter beyond the router limit with 414 problem+json', async () => {
    app = Fastify(aetherlinkServerOptions());
    await app.register(aetherlinkFastify, {
      service: 'long',
      routes: [defineRoute({ method: 'GET', path: '/n/{name}', permission: 'public', handler: () => ({}) })],
    });
    const res = await app.inject(`/n/${'x'.repeat(1001)}`);
    expect(res.statusCode).toBe(414);
    expect(isProblem(res)).toBe(true);
    expect(res.json()).toMatchObject({ code: 'uri_too_long', errors: [{ field: 'path' }] });
  });
});

describe('aetherlinkFastify: every request audited exactly once', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const routes = [
    defineRoute({ method: 'GET', path: '/g/{id}', permission: 'ops:read', handler: ({ params }) => ({ id: (params as unknown as { id: string }).id }) }),
    defineRoute({ method: 'GET', path: '/bad', permission: 'public', handler: () => reply(99, {}) }),
  ];
  const build = async (setup: (a: FastifyInstance) => void = () => {}, late: (a: FastifyInstance) => void = () => {}) => {
    const sink = memoryAuditSink();
    app = Fastify(aetherlinkServerOptions());
    setup(app);
    const bus = createEventBus({ source: 'once' });
    await app.register(aetherlinkFastify, { service: 'once', routes: [...eventRoutes({ bus }), ...routes], bus, audit: createAuditLog({ service: 'once', sinks: [sink] }), onError: () => {} });
    late(app);
    app.get('/own', async () => ({ own: true }));
    await app.ready();
    return { a: app, seen: () => sink.records().map((r) => `${r.method} ${r.path} ${r.status}`) };
  };
  const publish = (a: FastifyInstance) =>
    a.inject({ method: 'POST', url: '/events/publish', headers: { 'x-user-roles': 'agent', 'content-type': 'application/json' }, payload: '{"type":"a.b","source":"s"}' });

  it('audits GET and HEAD route specs, a refused body, a failed answer, the app’s routes and 404s once each', async () => {
    const { a, seen } = await build();
    expect((await a.inject({ url: '/g/1', headers: { 'x-user-roles': 'viewer' } })).statusCode).toBe(200);
    expect((await a.inject({ url: '/g/2' })).statusCode).toBe(401);
    expect((await a.inject({ method: 'HEAD', url: '/g/3', headers: { 'x-user-roles': 'viewer' } })).statusCode).toBe(200);
    expect((await publish(a)).statusCode).toBe(200);
    expect((await a.inject({ method: 'POST', url: '/events/publish', headers: { 'x-user-roles': 'agent', 'content-type': 'application/json' }, payload: '{"type":' })).statusCode).toBe(400);
    expect((await a.inject('/bad')).statusCode).toBe(500);
    expect((await a.inject('/own')).statusCode).toBe(200);
    expect((await a.inject('/nothing')).statusCode).toBe(404);
    expect(seen()).toEqual([
      'GET /g/{id} 200',
      'GET /g/{id} 401',
      'HEAD /g/{id} 200',
      'POST /events/publish 200',
      'POST /events/publish 400',
      'GET /bad 500',
      'GET /own 200',
      'GET <unmatched> 404',
    ]);
  });

  const blocker = (app: FastifyInstance) =>
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-block'] !== undefined) return reply.code(429).send({ blocked: true });
      return undefined;
    });
  for (const [when, setup, late] of [
    ['before the plugin', blocker, undefined],
    ['after the plugin has loaded', undefined, blocker],
  ] as const) {
    it(`audits once, early answers included, when the app adds a hook that may answer first ${when}`, async () => {
      const { a, seen } = await build(setup, late);
      expect((await a.inject({ url: '/g/1', headers: { 'x-user-roles': 'viewer' } })).statusCode).toBe(200);
      expect((await a.inject({ url: '/g/1', headers: { 'x-user-roles': 'viewer', 'x-block': '1' } })).statusCode).toBe(429);
      expect((await a.inject({ url: '/own', headers: { 'x-block': '1' } })).statusCode).toBe(429);
      expect((await publish(a)).statusCode).toBe(200);
      expect(seen()).toEqual(['GET /g/{id} 200', 'GET /g/{id} 429', 'GET /own 429', 'POST /events/publish 200']);
    });
  }

  it('audits once, early answers included, when another plugin gives the route a hook of its own through onRoute', async () => {
    const { a, seen } = await build((app) =>
      app.addHook('onRoute', (route) => {
        route.preHandler = async (request, reply) => {
          if (request.headers['x-block'] !== undefined) return reply.code(429).send({ blocked: true });
          return undefined;
        };
      }),
    );
    expect((await a.inject({ url: '/g/1', headers: { 'x-user-roles': 'viewer' } })).statusCode).toBe(200);
    expect((await a.inject({ url: '/g/1', headers: { 'x-user-roles': 'viewer', 'x-block': '1' } })).statusCode).toBe(429);
    expect(seen()).toEqual(['GET /g/{id} 200', 'GET /g/{id} 429']);
  });
});
