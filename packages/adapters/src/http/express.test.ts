import type { AddressInfo } from 'node:net';
import { createAuditLog, defineRoute, memoryAuditSink } from '@aetherlink/core';
import { describeHttpAdapterContract, eventually } from '@aetherlink/core/testing';
import express from 'express';
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
