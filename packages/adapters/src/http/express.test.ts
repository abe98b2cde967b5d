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
