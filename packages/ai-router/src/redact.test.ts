// Provider keys never leave through error text: an upstream that echoes the key in its error is redacted where
// its text enters, so health, the 502, the gateway, stored events and logs never see it.
import { Writable } from 'node:stream';
import { createEventBus, createSchemaRegistry, type EventBus } from '@aetherlink/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { serveRoutes, type ServedRoutes } from './_testing/serve-routes.js';
import { isProviderError, ProviderError } from './errors.js';
import { AI_EVENT_TYPES } from './events.js';
import { anthropicProvider } from './providers/anthropic.js';
import { openaiProvider } from './providers/openai.js';
import { redactSecrets } from './redact.js';
import { createRouter } from './router.js';

// An OpenAI-shaped live key, and a key of a self-hosted server that looks like no known format.
const LIVE_KEY = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const LOCAL_KEY = 'vllm-local-7f3a9c2e1b5d';
const ANTHROPIC_KEY = 'sk-ant-api03-Zq8xY7wV6uT5sR4qP3oN2mL1kJ0iH9gF';
const KEYS = [LIVE_KEY, LOCAL_KEY, ANTHROPIC_KEY];

describe('redactSecrets', () => {
  it('replaces the configured keys and anything shaped like a credential', () => {
    expect(redactSecrets(`Incorrect API key provided: ${LOCAL_KEY}.`, [LOCAL_KEY])).toBe('Incorrect API key provided: [redacted].');
    expect(redactSecrets(`Incorrect API key provided: ${LIVE_KEY}. See your dashboard.`)).toBe('Incorrect API key provided: [redacted]. See your dashboard.');
    expect(redactSecrets('sent Authorization: Bearer abc.def-ghi_jkl/mno=')).toBe('sent Authorization: Bearer [redacted]');
    expect(redactSecrets('token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl rejected')).toBe('token [redacted] rejected');
    expect(redactSecrets('invalid x-api-key: "abcdef123456" for url?api_key=qwerty9876&x=1')).toBe('invalid x-api-key: "[redacted]" for url?api_key=[redacted]&x=1');
    expect(redactSecrets('AWS AKIAIOSFODNN7EXAMPLE denied')).toBe('AWS [redacted] denied');
  });

  it('leaves ordinary text alone, and keys too short to tell from words', () => {
    const text = '529 overloaded_error: Overloaded; retry in 2 s (request req_011CUabc)';
    expect(redactSecrets(text, ['k', undefined])).toBe(text);
  });
});

describe('an upstream that echoes the configured key in its 401', () => {
  let fake: FakeLlmServer;
  let served: ServedRoutes;
  let bus: EventBus;
  let logs = '';

  beforeAll(async () => {
    fake = await startFakeLlmServer();
    // The router's own event schemas, strictly: the stored events must pass them.
    const registry = createSchemaRegistry({ strict: true, builtins: false });
    for (const type of AI_EVENT_TYPES) registry.register(type);
    bus = createEventBus({ registry });
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
    served = await serveRoutes({ bus, logStream });
  });
  afterAll(async () => {
    await served.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    logs = '';
    // The keys go out as headers (Bearer, x-api-key); each upstream throws its own back.
    fake.set('openai', { kind: 'status', status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: `Incorrect API key provided: ${LIVE_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.` });
    fake.set('vllm', { kind: 'status', status: 401, message: `invalid key ${LOCAL_KEY} (sent as "Authorization: Bearer ${LOCAL_KEY}")` });
    fake.set('claude', { kind: 'status', status: 401, message: `invalid x-api-key ${ANTHROPIC_KEY}` });
    served.use(
      createRouter({
        providers: {
          openai: openaiProvider({ baseUrl: fake.baseUrl('openai', 'openai'), apiKey: LIVE_KEY, model: 'gpt-test', env: {} }),
          vllm: openaiProvider({ baseUrl: fake.baseUrl('vllm', 'openai'), apiKey: LOCAL_KEY, model: 'qwen', vendor: 'vllm', env: {} }),
          claude: anthropicProvider({ baseUrl: fake.baseUrl('claude', 'anthropic'), apiKey: ANTHROPIC_KEY, model: 'claude-test', env: {} }),
        },
        // One failure opens a breaker, so its warning (with the last error) is logged too.
        defaults: { retries: 0, breaker: { volumeThreshold: 1 } },
        bus,
        logger: served.logger,
      }),
    );
  });

  const leaked = (text: string) => KEYS.filter((key) => text.includes(key));
  const post = (path: string, body: unknown) =>
    fetch(`${served.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' }, body: JSON.stringify(body) });

  it('the upstream really sent the keys, and the provider error carries none of them', async () => {
    const provider = openaiProvider({ baseUrl: fake.baseUrl('openai', 'openai'), apiKey: LIVE_KEY, env: {} });
    const error = await provider.chat({ messages: [{ role: 'user', content: 'hi' }] }, { signal: new AbortController().signal, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(fake.requests('openai')[0]?.headers.authorization).toBe(`Bearer ${LIVE_KEY}`);
    expect(isProviderError(error) && error).toMatchObject({ kind: 'auth', status: 401, message: expect.stringContaining('Incorrect API key provided: [redacted].') });
    expect(leaked(`${(error as Error).message} ${String((error as Error).cause ?? '')}`)).toEqual([]);
  });

  it('is in none of /orchestrate’s 502, /providers/health, the stored ai.fallback.failed event or the logs', async () => {
    const res = await post('/orchestrate', { intent: 'summarize-activity', input: 'Ann called about pricing' });
    const problem = await res.text();
    expect(res.status).toBe(502);
    expect(problem).toContain('Incorrect API key provided: [redacted]');
    expect(leaked(problem)).toEqual([]);

    const health = await (await fetch(`${served.url}/providers/health`, { headers: { 'x-user-roles': 'viewer' } })).text();
    expect(JSON.parse(health)).toMatchObject({ openai: { healthy: false, last_error: expect.stringContaining('[redacted]') }, vllm: { failed_calls: 1 }, claude: { failed_calls: 1 } });
    expect(leaked(health)).toEqual([]);

    await expect.poll(async () => (await bus.query({ type: 'ai.fallback.failed' })).events.length).toBe(1);
    const stored = JSON.stringify((await bus.query({ type: 'ai.fallback.failed' })).events);
    expect(stored).toContain('[redacted]');
    expect(leaked(stored)).toEqual([]);

    expect(logs).toContain('every provider failed');
    expect(logs.split('\n').filter((line) => line.includes('circuit breaker opened') && line.includes('Incorrect API key provided: [redacted]'))).toHaveLength(1);
    expect(leaked(logs)).toEqual([]);
  });

  it('is in none of the gateway’s answers, plain or streamed', async () => {
    const plain = await post('/v1/chat/completions', { model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const body = await plain.text();
    expect(plain.status).toBe(502);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'all_providers_failed', provider_errors: [{ provider: 'openai', kind: 'auth' }, { provider: 'vllm' }, { provider: 'claude' }] } });
    expect(leaked(body)).toEqual([]);

    const streamed = await post('/v1/chat/completions', { model: 'auto', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const text = await streamed.text();
    expect(streamed.status).toBe(502);
    expect(leaked(text)).toEqual([]);
    expect(leaked(logs)).toEqual([]);
  });

  it('a key echoed in an error chunk after the first token is redacted too', async () => {
    const chunk = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', model: 'gpt-test', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    fake.set('openai', {
      kind: 'raw',
      chunks: [chunk({ role: 'assistant', content: 'Hel' }), `data: ${JSON.stringify({ error: { message: `key ${LIVE_KEY} was revoked mid-stream`, type: 'invalid_request_error' } })}\n\n`],
    });
    const res = await post('/v1/chat/completions', { model: 'openai', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('was revoked mid-stream');
    expect(leaked(text)).toEqual([]);
    const health = await (await fetch(`${served.url}/providers/health`, { headers: { 'x-user-roles': 'viewer' } })).text();
    expect(JSON.parse(health)).toMatchObject({ openai: { last_error: expect.stringContaining('[redacted] was revoked') } });
    expect(leaked(health)).toEqual([]);
  });

  it('a provider the app wrote is redacted by the router, by the shape of what it leaks', async () => {
    const router = createRouter({
      providers: { mine: { vendor: 'in-house', chat: () => Promise.reject(new ProviderError('auth', `rejected Bearer ${LOCAL_KEY} and ${LIVE_KEY}`)) } },
      defaults: { retries: 0 },
      logger: served.logger,
    });
    served.use(router);
    const error = (await router.chat({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('every provider failed: mine: rejected Bearer [redacted] and [redacted]');
    expect(router.health().mine?.last_error).toBe('rejected Bearer [redacted] and [redacted]');
  });
});
