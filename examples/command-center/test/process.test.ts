import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runUntilExit, startServer, type RunningServer } from './helpers.js';

// Tests here start the reference server as its own process: up to 60 s to start (helpers.ts), 5 s to stop.
vi.setConfig({ testTimeout: 90_000 });

describe('the reference server as a process', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers no bad input with a 500 and keeps running', async () => {
    const op = { 'x-user-roles': 'operator' };
    const json = { ...op, 'content-type': 'application/json' };
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const cases: [string, RequestInit][] = [
      ['/events/publish', { method: 'POST', headers: json, body: '{"type":' }],
      ['/events/publish', { method: 'POST', headers: json, body: '' }],
      ['/events/publish', { method: 'POST', headers: json, body: 'null' }],
      ['/events/publish', { method: 'POST', headers: json, body: '"just a string"' }],
      ['/events/publish', { method: 'POST', headers: json, body: deep }],
      ['/events/publish', { method: 'POST', headers: json, body: JSON.stringify({ type: 'a.b', source: 'x', data: 'z'.repeat(100_000) }) }],
      ['/events/publish', { method: 'POST', headers: json, body: JSON.stringify({ type: 'a.b', source: 'x', __proto__: { admin: true } }).replace('"source"', '"__proto__":{"x":1},"source"') }],
      ['/events/publish', { method: 'POST', headers: json, body: JSON.stringify({ type: 'a.b', source: 'x', time: '2026-13-45T99:99:99Z' }) }],
      ['/events/publish', { method: 'POST', headers: json, body: JSON.stringify({ type: 'x'.repeat(5000), source: 'x' }) }],
      ['/events/publish', { method: 'POST', headers: { ...op, 'content-type': 'application/xml' }, body: '<a/>' }],
      ['/events/publish', { method: 'POST', headers: { ...op, 'content-type': 'text/plain' }, body: 'hello' }],
      ['/events/publish', { method: 'PUT', headers: json, body: '{}' }],
      ['/events/recent?limit=-1', { headers: op }],
      ['/events/recent?limit=1e400', { headers: op }],
      ['/events/recent?since=%00', { headers: op }],
      ['/events/recent?cursor=99999999999999999999', { headers: op }],
      ['/events/recent?event_type=a&event_type=b', { headers: op }],
      ['/events/schema/%E0%A4%A', { headers: op }],
      ['/events/schema/' + 'a'.repeat(5000), { headers: op }],
      ['/events/stream?since=never', { headers: op }],
      ['/audit/stats', { headers: { 'x-user-roles': ',,,' } }],
      ['/audit/stats', { headers: { authorization: 'Bearer nonsense' } }],
      ['/%', {}],
      ['/events/recent?limit=%', { headers: op }],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(`${server.url}${path}`, init);
      const body = await res.text();
      expect(res.status, `${init.method ?? 'GET'} ${path.slice(0, 60)} → ${res.status} ${body.slice(0, 200)}`).toBeLessThan(500);
      expect(res.status, `${path.slice(0, 60)} should be rejected`).toBeGreaterThanOrEqual(400);
      if (res.headers.get('content-type')?.includes('json')) expect(() => JSON.parse(body)).not.toThrow();
    }
    expect(server.proc.exitCode).toBeNull();
    const ping = await fetch(`${server.url}/ops/ping`);
    expect(await ping.json()).toMatchObject({ status: 'ok', service: 'aetherlink-command-center' });
    expect(server.output()).not.toMatch(/request failed unexpectedly/);
  });

  it('stops gracefully on SIGTERM', async () => {
    const other = await startServer();
    expect(await other.stop()).toBe(0);
  });
});

describe('start-up errors', () => {
  it('names a bad variable and shows no stack trace', async () => {
    const { code, output } = await runUntilExit({ PORT: 'eighty', AUTH_MODE: 'jwt' });
    expect(code).toBe(1);
    expect(output).toMatch(/PORT: must be a port number \(got "eighty"\)/);
    expect(output).toMatch(/JWT_ISSUER: is required when AUTH_MODE=jwt/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('says so when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { code, output } = await runUntilExit({ PORT: String(port) });
      expect(code).toBe(1);
      expect(output).toMatch(new RegExp(`port ${port} is already in use`));
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
