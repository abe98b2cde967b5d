// The routes on a real Fastify server (RBAC, validation, problem+json from the adapters), providers on a fake.
import { silentLogger } from '@aetherlink/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { serveRoutes, type ServedRoutes } from './_testing/serve-routes.js';
import { fakeProviders } from './_testing/fake-providers.js';
import { createRouter } from './router.js';

const LEAD = '{"name":"Ann Lee","email":"ann@acme.io","company":"Acme"}';
let fake: FakeLlmServer;
let served: ServedRoutes;

beforeAll(async () => {
  fake = await startFakeLlmServer();
  served = await serveRoutes();
});
afterAll(async () => {
  await served.close();
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  served.use(
    createRouter({
      providers: fakeProviders(fake, ['claude', 'openai']),
      logger: silentLogger,
      defaults: { retries: 0, timeoutMs: 2000 },
    }),
  );
});

const post = (path: string, body: unknown, roles?: string) =>
  fetch(`${served.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(roles ? { 'x-user-roles': roles } : {}) },
    body: JSON.stringify(body),
  });

describe('POST /orchestrate', () => {
  it('answers { intent, used_provider, output, latency_ms, attempts } for ai:invoke', async () => {
    fake.set('claude', { kind: 'status', status: 529 });
    fake.set('openai', { kind: 'ok', text: LEAD });
    const res = await post('/orchestrate', { intent: 'extract-lead', input: 'Ann Lee, ann@acme.io, Acme' }, 'agent');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      intent: 'extract-lead',
      used_provider: 'openai',
      output: { name: 'Ann Lee', email: 'ann@acme.io', company: 'Acme' },
      latency_ms: expect.any(Number),
      attempts: [
        { provider: 'claude', outcome: 'failed', kind: 'overloaded', status: 529 },
        { provider: 'openai', outcome: 'ok' },
      ],
    });
    expect(body).not.toHaveProperty('text');
  });

  it('is 401 without credentials and 403 for a viewer', async () => {
    expect((await post('/orchestrate', { intent: 'extract-lead', input: 'x' })).status).toBe(401);
    const forbidden = await post('/orchestrate', { intent: 'extract-lead', input: 'x' }, 'viewer');
    expect(forbidden.status).toBe(403);
    expect(fake.hits('claude')).toBe(0);
  });

  it('is 400 naming the field for an unknown intent or bad input', async () => {
    const unknown = await post('/orchestrate', { intent: 'write-poem', input: {} }, 'agent');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await unknown.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'intent', message: expect.stringContaining('extract-lead') }] });
    const bad = await post('/orchestrate', { intent: 'extract-lead', input: { text: '' } }, 'agent');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'input.text', message: 'must not be empty' }] });
    const missing = await post('/orchestrate', { input: 'x' }, 'agent');
    expect(await missing.json()).toMatchObject({ status: 400, errors: [{ field: 'intent', in: 'body' }] });
  });

  it('is 502 with every provider’s error and latency when all fail', async () => {
    fake.set('claude', { kind: 'status', status: 500, message: 'boom' });
    fake.set('openai', { kind: 'malformed' });
    const res = await post('/orchestrate', { intent: 'extract-lead', input: 'Ann' }, 'operator');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({
      code: 'upstream_failed',
      detail: expect.stringContaining('every provider failed for "extract-lead"'),
      intent: 'extract-lead',
      provider_errors: [
        { provider: 'claude', error: '500 api_error: boom', latency_ms: expect.any(Number), kind: 'server_error', status: 500 },
        { provider: 'openai', error: expect.stringContaining('not valid JSON'), latency_ms: expect.any(Number), kind: 'invalid_response' },
      ],
      attempts: [expect.objectContaining({ provider: 'claude' }), expect.objectContaining({ provider: 'openai' })],
    });
  });

  it('streams as Server-Sent Events with stream: true', async () => {
    fake.set('claude', { kind: 'ok', text: 'Ann called twice about pricing.' });
    const res = await post('/orchestrate', { intent: 'summarize-activity', input: 'call 1; call 2', stream: true }, 'agent');
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => [m[1], JSON.parse(m[2]!)] as const);
    expect(events[0]).toEqual(['start', expect.objectContaining({ intent: 'summarize-activity', used_provider: 'claude' })]);
    expect(events.filter(([e]) => e === 'delta').map(([, d]) => (d as { text: string }).text).join('')).toBe('Ann called twice about pricing.');
    expect(events.at(-1)).toEqual(['done', expect.objectContaining({ output: { summary: 'Ann called twice about pricing.' }, used_provider: 'claude' })]);
  });

  it('reports a failure mid-stream as an error event', async () => {
    fake.set('claude', { kind: 'stream-error', afterChunks: 2 });
    const res = await post('/orchestrate', { intent: 'summarize-activity', input: 'x', stream: true }, 'agent');
    const text = await res.text();
    expect(text).toMatch(/event: error\ndata: .*"kind":"overloaded".*"provider":"claude"/);
    expect(text).not.toMatch(/event: done/);
  });
});

describe('GET /providers/health', () => {
  it('answers each provider’s health for ops:read', async () => {
    fake.set('claude', { kind: 'status', status: 503 });
    await post('/orchestrate', { intent: 'summarize-activity', input: 'x' }, 'agent');
    expect((await fetch(`${served.url}/providers/health`)).status).toBe(401);
    const res = await fetch(`${served.url}/providers/health`, { headers: { 'x-user-roles': 'viewer' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      claude: expect.objectContaining({ healthy: false, last_error: '503 api_error: fake 503', total_calls: 1, failed_calls: 1, breaker: 'closed', last_checked: expect.any(String) }),
      openai: expect.objectContaining({ healthy: true, last_error: null, total_calls: 1, failed_calls: 0, breaker: 'closed', p50_ms: expect.any(Number), tokens: { input: 11, output: 7, total: 18 } }),
    });
  });
});
