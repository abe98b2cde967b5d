import type { AddressInfo } from 'node:net';
import { AetherError, createAuditLog, defineRoute, memoryAuditSink, reply, sse } from '@aetherlink/core';
import { describeHttpAdapterContract, eventually } from '@aetherlink/core/testing';
import express from 'express';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { aetherlinkExpress } from './express.js';
import { startExpress } from './test-support.js';

describeHttpAdapterContract('express', startExpress);

describe('express: two AetherLink routers in one app', () => {
  it('each audits once, into its own log, every request that passes through it', async () => {
    const sinks = [memoryAuditSink(), memoryAuditSink()];
    const app = express();
    for (const [i, sink] of sinks.entries()) {
      const route = defineRoute({ method: 'GET', path: `/r${i}/{id}`, permission: 'ops:read', handler: () => ({ ok: true }) });
      app.use(aetherlinkExpress({ service: `s${i}`, routes: [route], audit: createAuditLog({ service: `s${i}`, sinks: [sink] }) }).router);
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/r0/a`, { headers: { 'x-user-roles': 'viewer' } })).status).toBe(200);
      expect((await fetch(`${url}/r1/b`, { headers: { 'x-user-roles': 'viewer' } })).status).toBe(200);
      // The first router sees both requests; the second only the one the first did not answer.
      const seen = () => sinks.map((sink) => sink.records().map((r) => `${r.service} ${r.path} ${r.status}`));
      await eventually(() => seen().flat().length >= 3, 'both requests audited');
      expect(seen()).toEqual([['s0 /r0/{id} 200', 's0 /r1/{id} 200'], ['s1 /r1/{id} 200']]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('express: route specs answered past the nested router', () => {
  const routes = [
    defineRoute({ method: 'GET', path: '/things/{id}', permission: 'public', handler: ({ params, query }) => ({ route: 'id', params, query }) }),
    // Declared after the parameter route: Express's router never reaches it for GET, and neither may the shortcut.
    defineRoute({ method: 'GET', path: '/things/special', permission: 'public', handler: () => ({ route: 'special' }) }),
    defineRoute({ method: 'DELETE', path: '/things/special', permission: 'public', handler: () => ({ route: 'special-delete' }) }),
  ];

  it('answers as the router would: first route in mount order, case, trailing slash, encoding, HEAD, prefix, query', async () => {
    const app = express();
    const al = aetherlinkExpress({ service: 'x', routes });
    app.use('/al', al.router);
    // The app's next middleware sees its own params, not those the router found.
    app.use((req, res) => void res.status(404).json({ after: true, params: req.params, path: req.path }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const get = async (path: string, method = 'GET') => {
        const res = await fetch(`${url}${path}`, { method });
        return { status: res.status, body: method === 'HEAD' ? null : await res.json() };
      };
      expect(await get('/al/things/42?a=1')).toEqual({ status: 200, body: { route: 'id', params: { id: '42' }, query: { a: '1' } } });
      expect((await get('/al/things/special')).body).toMatchObject({ route: 'id', params: { id: 'special' } });
      expect((await get('/al/things/special', 'DELETE')).body).toEqual({ route: 'special-delete' });
      expect((await get('/al/THINGS/43/')).body).toMatchObject({ route: 'id', params: { id: '43' } });
      expect((await get('/al/things/a%20b')).body).toMatchObject({ params: { id: 'a b' } });
      expect((await get('/al/things/42', 'HEAD')).status).toBe(200);
      expect(await get('/al/things/42/more')).toEqual({ status: 404, body: { after: true, params: {}, path: '/al/things/42/more' } });
      expect((await get('/things/42')).body).toMatchObject({ after: true });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('express: every request audited exactly once', () => {
  const routes = [
    defineRoute({ method: 'GET', path: '/g/{id}', permission: 'ops:read', handler: ({ params, query }) => ({ id: (params as unknown as { id: string }).id, query }) }),
    defineRoute({ method: 'GET', path: '/later', permission: 'public', handler: async () => ({ later: true }) }),
    defineRoute({ method: 'GET', path: '/refused', permission: 'public', handler: () => { throw new AetherError('conflict', 'not now'); } }),
    // Sending throws (a header value Node refuses): the error handler answers instead.
    defineRoute({ method: 'GET', path: '/bad-header', permission: 'ops:read', handler: () => reply(200, {}, { 'x-bad': 'a\nb' }) }),
    defineRoute({ method: 'POST', path: '/b', permission: 'public', body: z.object({ n: z.number() }), handler: ({ body }) => body }),
    defineRoute({ method: 'GET', path: '/stream', permission: 'public', handler: () => sse((ch) => ch.send({ data: 'hello' })) }),
  ];

  it('audits route specs answered at once, later, by the error handler or as a stream, the app’s routes and 404s', async () => {
    const sink = memoryAuditSink();
    const app = express();
    const al = aetherlinkExpress({ service: 'once', routes, audit: createAuditLog({ service: 'once', sinks: [sink] }), onError: () => {} });
    app.use(al.router);
    app.get('/own', (_req, res) => void res.json({ own: true }));
    app.use(al.notFound, al.errorHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const seen = () => sink.records().map((r) => `${r.method} ${r.path} ${r.status}${r.roles.length ? ` ${r.roles.join(',')}` : ''}`);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const viewer = { 'x-user-roles': 'viewer' };
      const first = await fetch(`${url}/g/1?a=1`, { headers: viewer });
      expect(await first.json()).toEqual({ id: '1', query: { a: '1' } });
      expect((await fetch(`${url}/g/2`)).status).toBe(401);
      expect((await fetch(`${url}/g/3/`, { headers: viewer })).status).toBe(200);
      expect((await fetch(`${url}/later`)).status).toBe(200);
      expect((await fetch(`${url}/refused`)).status).toBe(409);
      expect((await fetch(`${url}/bad-header`, { headers: viewer })).status).toBe(500);
      const post = (body: string) => fetch(`${url}/b`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect((await post('{"n":1}')).status).toBe(200);
      expect((await post('{"n":')).status).toBe(400);
      expect((await fetch(`${url}/own`)).status).toBe(200);
      expect((await fetch(`${url}/nothing`)).status).toBe(404);
      const stream = new AbortController();
      const res = await fetch(`${url}/stream`, { signal: stream.signal });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('hello')) text += new TextDecoder().decode((await reader.read()).value);
      stream.abort();
      await eventually(() => seen().length >= 11, 'every request audited');
      expect(seen()).toEqual([
        'GET /g/{id} 200 viewer',
        'GET /g/{id} 401',
        'GET /g/{id} 200 viewer',
        'GET /later 200',
        'GET /refused 409',
        'GET /bad-header 500 viewer',
        'POST /b 200',
        'POST /b 400',
        'GET /own 200',
        'GET <unmatched> 404',
        'GET /stream 200',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen()).toHaveLength(11);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
