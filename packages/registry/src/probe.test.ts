import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answer, hang, startTestServer, type TestServer } from '@aetherlink/core/testing';
import { Agent } from 'undici';
import { createHealthChecker } from './checker.js';
import { probe } from './probe.js';
import { createRegistry } from './registry.js';
import type { HealthChecker, Registry } from './types.js';

const servers: TestServer[] = [];
let registry: Registry;
let checker: HealthChecker;

beforeEach(() => {
  registry = createRegistry();
  checker = createHealthChecker({ registry, timeoutMs: 2000 });
});
afterEach(async () => {
  await checker.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * A server whose idle timeout runs out just as the next request arrives: a request on a connection that already
 * served one is met by the connection closing, without an answer. A fresh connection is answered.
 */
async function closesIdleKeepAlive(delayMs = 0) {
  const served = new WeakMap<Socket, number>();
  const log = { answered: 0, dropped: 0 };
  const server = await startTestServer((req, res) => {
    const before = served.get(req.socket) ?? 0;
    served.set(req.socket, before + 1);
    if (before > 0) {
      log.dropped++;
      req.socket.destroy();
      return;
    }
    log.answered++;
    answer(200, { status: 'ok' }, delayMs)(req, res);
  });
  servers.push(server);
  return { server, log };
}

describe('probe retry on a keep-alive connection the server closed', () => {
  // The server answers only a connection's first request, so every answer proves a new connection was opened.
  it('retries once, on a new connection, and reports the service ok', async () => {
    const { server, log } = await closesIdleKeepAlive();
    // Two connections at most: the agent keeps both alive, so a retry through it could land on the other stale one.
    const two = createHealthChecker({ registry, concurrency: 2 });
    try {
      await registry.register({ name: 'svc', url: server.url });
      // Probe until some have picked up kept-alive connections (the agent reuses them after its first few).
      for (let i = 0; i < 30 && log.dropped < 5; i++) expect(await two.checkService('svc')).toMatchObject({ status: 'ok', error: null });
      expect(log.dropped).toBe(5);
      expect(server.hits()).toBe(log.answered + 5);
      expect(server.connections()).toBe(log.answered);
    } finally {
      await two.close();
    }
  });

  it('retries every probe of concurrent passes that lands on a stale connection, each on a new one', async () => {
    // Slow answers make a pass open several connections side by side.
    const { server, log } = await closesIdleKeepAlive(30);
    for (let i = 0; i < 4; i++) await registry.register({ name: `svc-${i}`, url: `${server.url}/svc/${i}` });
    let passes = 0;
    for (; passes < 20 && log.dropped < 2; passes++) {
      expect((await checker.checkAll()).services.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    }
    expect(log.dropped).toBeGreaterThanOrEqual(2);
    expect(log.answered).toBe(passes * 4);
    expect(server.connections()).toBe(log.answered);
  });

  it('does not retry a second time', async () => {
    const server = await startTestServer((req) => req.socket.destroy());
    servers.push(server);
    await registry.register({ name: 'svc', url: server.url });
    expect(await checker.checkService('svc')).toMatchObject({ status: 'down', error: 'the connection closed before an answer', latency_ms: null });
    expect(server.hits()).toBe(2);
  });

  it('does not retry once the answer began, a timeout, or an answer', async () => {
    const cut = await startTestServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      setImmediate(() => req.socket.destroy());
    });
    const hung = await startTestServer(hang());
    const failing = await startTestServer(answer(500));
    servers.push(cut, hung, failing);
    await registry.register({ name: 'cut', url: cut.url, check: { body_path: 'status' } });
    await registry.register({ name: 'hung', url: hung.url, check: { timeout_ms: 100 } });
    await registry.register({ name: 'failing', url: failing.url });
    expect(await checker.checkService('cut')).toMatchObject({ status: 'down', error: 'the connection closed in the middle of the answer' });
    expect(await checker.checkService('hung')).toMatchObject({ status: 'down', error: 'no answer within 100 ms' });
    expect(await checker.checkService('failing')).toMatchObject({ status: 'down', error: 'HTTP 500, expected 200–299' });
    expect([cut.hits(), hung.hits(), failing.hits()]).toEqual([1, 1, 1]);
  });
});

describe('redirects', () => {
  it('judges a redirect by itself and never requests its target', async () => {
    const target = await startTestServer(answer(200, { status: 'ok' }));
    const redirecting = await startTestServer((_req, res) => {
      res.writeHead(302, { location: `${target.url}/ping` });
      res.end();
    });
    servers.push(target, redirecting);
    await registry.register({ name: 'moved', url: redirecting.url });
    expect(await checker.checkService('moved')).toMatchObject({ status: 'down', error: 'HTTP 302, expected 200–299 (redirects are not followed)' });
    await registry.register({ name: 'moved-ok', url: redirecting.url, check: { status: '200-399' } });
    expect(await checker.checkService('moved-ok')).toMatchObject({ status: 'ok' });
    expect(redirecting.hits()).toBe(2);
    expect(target.hits()).toBe(0);
  });
});

describe('probe keepText', () => {
  it('hands back the body text, JSON or not, only when asked, and reads bodies only for the status codes asked', async () => {
    const text = await startTestServer((_req, res) => {
      res.statusCode = 500;
      res.end('SERVER_IS_SHUTTING_DOWN');
    });
    servers.push(text);
    const dispatcher = new Agent();
    try {
      expect(await probe(text.url, { dispatcher, timeoutMs: 2000, readBody: true, keepText: true })).toMatchObject({
        statusCode: 500,
        bodyError: 'the body is not JSON',
        text: 'SERVER_IS_SHUTTING_DOWN',
      });
      expect(await probe(text.url, { dispatcher, timeoutMs: 2000, readBody: true })).not.toHaveProperty('text');
      // Read only for the status codes asked about.
      expect(await probe(text.url, { dispatcher, timeoutMs: 2000, readBody: (status) => status >= 500, keepText: true })).toMatchObject({ text: 'SERVER_IS_SHUTTING_DOWN' });
      expect(await probe(text.url, { dispatcher, timeoutMs: 2000, readBody: (status) => status < 500, keepText: true })).toEqual({ statusCode: 500, error: null, latencyMs: expect.any(Number) });
    } finally {
      await dispatcher.close();
    }
  });
});
