import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../../packages/ai-router/src/_testing/fake-llm-server.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

describe('the AI router in the reference server, against fake providers on 127.0.0.1', () => {
  let fake: FakeLlmServer;
  let cc: CommandCenter;
  let url: string;
  beforeAll(async () => {
    fake = await startFakeLlmServer();
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), {
      env: {
        PROVIDER_ORDER: 'claude,openai,ollama',
        ANTHROPIC_BASE_URL: fake.baseUrl('claude', 'anthropic'),
        ANTHROPIC_API_KEY: 'sk-ant-test',
        OPENAI_BASE_URL: fake.baseUrl('openai', 'openai'),
        OPENAI_API_KEY: 'sk-test',
        OLLAMA_BASE_URL: fake.baseUrl('ollama', 'ollama'),
      },
    });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await cc?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const orchestrate = (body: unknown, roles = 'agent') =>
    fetch(`${url}/orchestrate`, { method: 'POST', headers: { 'x-user-roles': roles, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const lead = { name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines' };

  it('lists the providers in /ping, in order', async () => {
    expect(await (await fetch(`${url}/ping`)).json()).toMatchObject({ status: 'ok', providers: ['claude', 'openai', 'ollama'] });
  });

  it('falls back past an overloaded Claude to OpenAI, validates the lead, and records the fallback', async () => {
    fake.set('claude', { kind: 'status', status: 529 });
    fake.set('openai', { kind: 'ok', text: JSON.stringify(lead) });
    const res = await orchestrate({ intent: 'extract-lead', input: { text: 'Met Ada Lovelace of Analytical Engines, ada@analytical.example' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { used_provider: string; output: unknown; attempts: { provider: string }[]; latency_ms: number };
    expect(body).toMatchObject({ intent: 'extract-lead', used_provider: 'openai', output: lead });
    expect(body.attempts.map((a) => a.provider)).toContain('claude');
    expect(fake.hits('ollama')).toBe(0);
    const events = (await (await fetch(`${url}/events/recent?event_type=ai.*`, { headers: { 'x-user-roles': 'viewer' } })).json()) as { events: { type: string; data: { provider: string } }[] };
    expect(events.events[0]).toMatchObject({ type: 'ai.fallback.used', data: { provider: 'openai' } });
    const health = (await (await fetch(`${url}/providers/health`, { headers: { 'x-user-roles': 'viewer' } })).json()) as Record<string, { failed_calls: number; breaker: string; healthy: boolean }>;
    expect(Object.keys(health).sort()).toEqual(['claude', 'ollama', 'openai']);
    // Two 529s (the first try and its one retry) are under the breaker's volume threshold of 5: still closed.
    expect(health.claude).toMatchObject({ breaker: 'closed', healthy: false, failed_calls: 2, total_calls: 2, last_error: expect.stringContaining('529') });
  });

  it('answers 502 with every provider error when all fail, and 400 for an unknown intent', async () => {
    fake.set('claude', { kind: 'status', status: 500 });
    fake.set('openai', { kind: 'status', status: 503 });
    fake.set('ollama', { kind: 'malformed' });
    const res = await orchestrate({ intent: 'summarize-activity', input: { activities: ['called Ada'] } });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const problem = (await res.json()) as { code: string; provider_errors: { provider: string }[] };
    expect(problem.code).toBe('upstream_failed');
    expect(problem.provider_errors.map((e) => e.provider).sort()).toEqual(['claude', 'ollama', 'openai']);
    expect((await orchestrate({ intent: 'write-poem', input: {} })).status).toBe(400);
    expect((await orchestrate({ intent: 'extract-lead', input: {} }, 'viewer')).status).toBe(403);
  });
});

describe('the AI router’s variables in the server’s configuration', () => {
  it('are checked by loadConfig with the others, naming each bad one and never a key', () => {
    const key = 'sk-ant-api03-never-shown-0123456789';
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', PROVIDER_ORDER: 'claude,gemini', ANTHROPIC_API_KEY: key, OLLAMA_BASE_URL: 'ftp://nope' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['OLLAMA_BASE_URL', 'PORT', 'PROVIDER_ORDER']);
    expect((error as ConfigError).message).toMatch(/PROVIDER_ORDER: unknown provider "gemini"/);
    expect((error as ConfigError).message).not.toContain(key);
  });

  it('become the router’s configuration, keys included, with nothing built', () => {
    const config = loadConfig({ PROVIDER_ORDER: 'openai,ollama', OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', OPENAI_API_KEY: 'local-key' });
    expect(config.ai).toEqual({
      providers: { openai: { vendor: 'openai', baseUrl: 'http://127.0.0.1:8000/v1', apiKey: 'local-key' }, ollama: { vendor: 'ollama' } },
      order: ['openai', 'ollama'],
    });
  });
});
