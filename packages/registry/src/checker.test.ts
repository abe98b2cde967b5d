import { createEventBus, type StoredEvent } from '@aetherlink/core';
import { eventually, answer, hang, refusedUrl, startTestServer, type TestServer } from '@aetherlink/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHealthChecker } from './checker.js';
import { createRegistry } from './registry.js';
import type { HealthChecker, Registry } from './types.js';

const servers: TestServer[] = [];
const start = async (...args: Parameters<typeof startTestServer>) => {
  const s = await startTestServer(...args);
  servers.push(s);
  return s;
};

let urls: Record<'ok' | 'slow' | 'error' | 'tooMany' | 'wrongBody' | 'notJson' | 'hang' | 'refused', string>;
let okServer: TestServer;
let hangServer: TestServer;
/** For each connection the hanging server saw closed: how many requests the ok server had answered by then. */
const hangClosed: { okHits: number }[] = [];

beforeAll(async () => {
  okServer = await start(answer(200, { status: 'ok' }));
  hangServer = await start(hang());
  hangServer.server.on('connection', (socket) => socket.on('close', () => hangClosed.push({ okHits: okServer.hits() })));
  urls = {
    ok: okServer.url,
    slow: (await start(answer(200, { status: 'ok' }, 250))).url,
    error: (await start(answer(500, { status: 'error' }))).url,
    tooMany: (await start(answer(429, { error: 'slow down' }))).url,
    wrongBody: (await start(answer(200, { status: 'down' }))).url,
    notJson: (await start(answer(200, '<html>fine</html>'))).url,
    hang: hangServer.url,
    refused: await refusedUrl(),
  };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

let registry: Registry;
let checker: HealthChecker;
let events: StoredEvent[];

beforeEach(() => {
  const bus = createEventBus();
  events = [];
  bus.subscribe({ type: 'service.health.failed' }, (e) => events.push(e));
  registry = createRegistry({ bus });
  checker = createHealthChecker({ registry, timeoutMs: 2000 });
  return () => checker.close();
});

const bodyCheck = { body_path: 'status', body_ok: ['ok'], body_degraded: ['degraded'] };

describe('health checker against real servers', () => {
  it('judges ok, slow, 500, 429, wrong body, not JSON, no answer and refused', async () => {
    await registry.register({ name: 'ok', url: urls.ok, check: bodyCheck });
    await registry.register({ name: 'slow', url: urls.slow, check: { max_latency_ms: 100 } });
    await registry.register({ name: 'error', url: urls.error });
    await registry.register({ name: 'too-many', url: urls.tooMany });
    await registry.register({ name: 'wrong-body', url: urls.wrongBody, check: bodyCheck });
    await registry.register({ name: 'not-json', url: urls.notJson, check: bodyCheck });
    await registry.register({ name: 'hang', url: urls.hang, check: { timeout_ms: 300 } });
    await registry.register({ name: 'refused', url: urls.refused });

    // Nothing is trusted before its first probe.
    expect(new Set((await registry.list()).map((s) => s.status))).toEqual(new Set(['down']));

    const report = await checker.checkAll();
    // The hung probe was abandoned at its own timeout: the checker closed the connection (the server saw it go)...
    await eventually(() => hangClosed.length === 1, 'the hanging server sees the probe close its connection');
    // ...and probes run side by side: by then the ok service, listed after it, had been probed and answered.
    expect(hangClosed[0]!.okHits).toBe(1);

    const by = Object.fromEntries(report.services.map((s) => [s.name, s]));
    expect(by.ok).toMatchObject({ status: 'ok', error: null });
    expect(by.ok!.latency_ms).toBeGreaterThan(0);
    expect(by.slow).toMatchObject({ status: 'degraded', error: expect.stringMatching(/^answered in \d+ ms, over the 100 ms limit$/) });
    expect(by.error).toMatchObject({ status: 'down', error: 'HTTP 500, expected 200–299' });
    expect(by['too-many']).toMatchObject({ status: 'degraded', error: 'HTTP 429: the service is shedding load' });
    expect(by['wrong-body']).toMatchObject({ status: 'down', error: 'body.status: expected one of ["ok"], found a string' });
    expect(by['not-json']).toMatchObject({ status: 'down', error: 'the body is not JSON' });
    expect(by.hang).toMatchObject({ status: 'down', error: 'no answer within 300 ms', latency_ms: null });
    expect(by.refused).toMatchObject({ status: 'down', error: 'connection refused', latency_ms: null });

    expect(report.status).toBe('down');
    expect(report.services.map((s) => s.status)).toEqual(['down', 'down', 'down', 'down', 'down', 'degraded', 'degraded', 'ok']);
    expect(report.services.slice(0, 5).map((s) => s.name)).toEqual(['error', 'hang', 'not-json', 'refused', 'wrong-body']);

    // What the checker found is stored, and GET /ops/health's stored report agrees.
    expect((await registry.get('slow'))!.status).toBe('degraded');
    expect((await registry.health()).services).toEqual(report.services);
    expect(events.map((e) => (e.data as { name: string }).name).sort()).toEqual(['error', 'hang', 'not-json', 'refused', 'slow', 'too-many', 'wrong-body']);

    // A second pass of the same failures adds no events: one per failure streak.
    await checker.checkAll();
    expect(events).toHaveLength(7);
  });

  it('keeps a service down until a probe passes, and follows it as it recovers', async () => {
    let status = 500;
    const flaky = await start((req, res) => answer(status)(req, res));
    await registry.register({ name: 'flaky', url: flaky.url });
    expect((await checker.checkService('flaky')).status).toBe('down');
    status = 200;
    expect(await checker.checkService('flaky')).toMatchObject({ status: 'ok', error: null });
    status = 503;
    expect(await checker.checkService('flaky')).toMatchObject({ status: 'down', error: 'HTTP 503, expected 200–299' });
    expect(events.map((e) => (e.data as { status: string }).status)).toEqual(['down', 'down']);
  });

  it('bounds concurrency and reuses keep-alive connections', async () => {
    const slowish = await start(answer(200, { status: 'ok' }, 30));
    const bounded = createHealthChecker({ registry, concurrency: 6 });
    try {
      for (let i = 0; i < 40; i++) await registry.register({ name: `svc-${i}`, url: `${slowish.url}/svc/${i}` });
      const first = await bounded.checkAll();
      await bounded.checkAll();
      expect(first.status).toBe('ok');
      expect(slowish.hits()).toBe(80);
      expect(slowish.peak()).toBeLessThanOrEqual(6);
      expect(slowish.peak()).toBeGreaterThanOrEqual(2);
      expect(slowish.connections()).toBeLessThanOrEqual(6);
    } finally {
      await bounded.close();
    }
  });

  it('shares one pass between callers that ask at once', async () => {
    const counted = await start(answer(200, { status: 'ok' }, 20));
    await registry.register({ name: 'one', url: counted.url });
    const [a, b] = await Promise.all([checker.checkAll(), checker.checkAll()]);
    expect(a).toBe(b);
    expect(counted.hits()).toBe(1);
    expect(checker.lastPassAt()).not.toBeNull();
  });

  it('does not store results of a pass cut short', async () => {
    let mode: 'ok' | 'hang' = 'ok';
    const toggled = await start((req, res) => (mode === 'ok' ? answer(200)(req, res) : undefined));
    await registry.register({ name: 'svc', url: toggled.url });
    await checker.checkAll();
    const before = await registry.get('svc');
    expect(before!.status).toBe('ok');
    mode = 'hang';
    const controller = new AbortController();
    const pass = checker.checkAll({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('leadership lost')), 50);
    const report = await pass;
    expect(report.services[0]!.status).toBe('ok');
    expect(await registry.get('svc')).toEqual(before);
  });

  it('reads a bounded body only when a condition needs it', async () => {
    const big = await start(answer(200, { status: 'ok', padding: 'x'.repeat(10_000) }));
    // Without a Content-Length the limit is enforced while reading.
    const chunked = await start((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pieces = req.url === '/small/ping' ? [...JSON.stringify({ status: 'ok' })] : Array.from({ length: 20 }, () => 'x'.repeat(100));
      for (const piece of pieces) res.write(piece);
      res.end();
    });
    const small = createHealthChecker({ registry, maxBodyBytes: 1024 });
    try {
      await registry.register({ name: 'chunked', url: chunked.url, check: bodyCheck });
      expect(await small.checkService('chunked')).toMatchObject({ status: 'down', error: 'the body is over 1024 bytes' });
      await registry.register({ name: 'chunked-small', url: `${chunked.url}/small`, check: bodyCheck });
      expect(await small.checkService('chunked-small')).toMatchObject({ status: 'ok' });
      await registry.register({ name: 'big', url: big.url, check: bodyCheck });
      expect(await small.checkService('big')).toMatchObject({ status: 'down', error: 'the body is over 1024 bytes' });
      await registry.register({ name: 'big', url: big.url });
      expect(await small.checkService('big')).toMatchObject({ status: 'ok' });
    } finally {
      await small.close();
    }
  });

  it('filters a pass by tag, and names an unknown service', async () => {
    await registry.register({ name: 'a', url: urls.ok, tags: ['edge'] });
    await registry.register({ name: 'b', url: urls.ok });
    const report = await checker.checkAll({ tag: 'edge' });
    expect(report.services.map((s) => s.name)).toEqual(['a']);
    expect((await registry.get('b'))!.last_check).toBeNull();
    await expect(checker.checkService('ghost')).rejects.toMatchObject({ code: 'not_found' });
  });
});
