// The router against real HTTP servers on 127.0.0.1 speaking each provider's wire format.
import { createManualClock, silentLogger, type ManualClock } from '@aetherlink/core';
import { eventually } from '@aetherlink/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer, type FakeMode } from './_testing/fake-llm-server.js';
import { fakeProviders } from './_testing/fake-providers.js';
import { createRouter } from './router.js';
import type { Router, RouterOptions } from './types.js';

const LEAD = '{"name":"Ann Lee","email":"ann@acme.io","company":"Acme","phone":"+1 555 0100"}';
const TEXT = 'Ann Lee (ann@acme.io) from Acme called about pricing.';

let fake: FakeLlmServer;
beforeAll(async () => {
  fake = await startFakeLlmServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

let router: Router | undefined;
afterEach(() => router?.close());

function setup(options: Partial<RouterOptions> = {}): { router: Router; clock: ManualClock } {
  const clock = createManualClock();
  router = createRouter({
    providers: fakeProviders(fake),
    clock,
    random: () => 0,
    logger: silentLogger,
    ...options,
    defaults: { retries: 1, retryDelayMs: 0, timeoutMs: 5000, ...options.defaults },
  });
  return { router, clock };
}

describe('fallback over HTTP, one primary failure mode at a time', () => {
  const cases: [string, FakeMode, number][] = [
    ['500 (retried once, then failed over)', { kind: 'status', status: 500 }, 2],
    ['529 overloaded (retried once, then failed over)', { kind: 'status', status: 529 }, 2],
    ['connection reset (retried once, then failed over)', { kind: 'reset' }, 2],
    ['malformed JSON (failed over at once)', { kind: 'malformed' }, 1],
    ['output that fails the schema (failed over at once)', { kind: 'ok', text: '{"name":"Ann Lee","company":"Acme"}' }, 1],
    ['401 (failed over at once)', { kind: 'status', status: 401 }, 1],
  ];

  it.each(cases)('claude answers %s', async (_label, mode, claudeHits) => {
    fake.set('claude', mode);
    fake.set('openai', { kind: 'ok', text: LEAD, usage: { input: 30, output: 20 } });
    const { router } = setup();
    const result = await router.run('extract-lead', TEXT);
    expect(result).toMatchObject({
      intent: 'extract-lead',
      used_provider: 'openai',
      output: { name: 'Ann Lee', email: 'ann@acme.io', company: 'Acme', phone: '+1 555 0100' },
      usage: { input_tokens: 30, output_tokens: 20, total_tokens: 50 },
    });
    expect(fake.hits('claude')).toBe(claudeHits);
    expect(fake.hits('ollama')).toBe(0);
    expect(result.attempts.filter((a) => a.provider === 'claude' && a.outcome === 'failed')).toHaveLength(claudeHits);
    expect(router.health()).toMatchObject({
      claude: { healthy: false, failed_calls: claudeHits, total_calls: claudeHits, breaker: 'closed' },
      openai: { healthy: true, total_calls: 1, tokens: { input: 30, output: 20, total: 50 } },
    });
  });

  it('waits out a short retry-after on the same provider, on the injected clock', async () => {
    fake.set('claude', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { kind: 'ok', text: LEAD });
    const { router, clock } = setup();
    const pending = router.run('extract-lead', TEXT);
    await eventually(() => clock.pending() === 1 && fake.hits('claude') === 1, 'the retry wait');
    await clock.advanceAsync(999);
    expect(fake.hits('claude')).toBe(1);
    await clock.advanceAsync(1);
    await expect(pending).resolves.toMatchObject({ used_provider: 'claude' });
    expect(fake.hits('claude')).toBe(2);
    expect(fake.hits('openai')).toBe(0);
  });

  it('fails over at once on a retry-after longer than the deadline allows, and cools claude down', async () => {
    fake.set('claude', { kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    fake.set('openai', { kind: 'ok', text: LEAD });
    const { router } = setup({ deadlineMs: 30_000 });
    await expect(router.run('extract-lead', TEXT)).resolves.toMatchObject({ used_provider: 'openai' });
    await expect(router.run('extract-lead', TEXT)).resolves.toMatchObject({ used_provider: 'openai' });
    expect(fake.hits('claude')).toBe(1);
    expect(router.health().claude?.breaker).toBe('open');
  });

  it('never retries used-up quota and keeps claude off', async () => {
    fake.set('claude', { kind: 'quota' });
    fake.set('openai', { kind: 'ok', text: LEAD });
    const { router } = setup();
    await router.run('extract-lead', TEXT);
    await router.run('extract-lead', TEXT);
    expect(fake.hits('claude')).toBe(1);
    expect(router.health().claude).toMatchObject({ breaker: 'open', last_error: expect.stringContaining('spend limit') });
  });

  it('times out a hanging provider on the clock, closes its connection and fails over', async () => {
    fake.set('claude', { kind: 'hang' });
    fake.set('openai', { kind: 'ok', text: LEAD });
    const { router, clock } = setup({ defaults: { retries: 0, timeoutMs: 8000 } });
    const pending = router.run('extract-lead', TEXT);
    await fake.waitForHits('claude', 1);
    await clock.advanceAsync(8000);
    const result = await pending;
    expect(result.used_provider).toBe('openai');
    expect(result.attempts[0]).toMatchObject({ provider: 'claude', kind: 'timeout', latency_ms: 8000 });
    await eventually(() => fake.open('claude') === 0, 'the hung request to be closed');
  });

  it('cancels an HTTP call in flight with an AbortSignal', async () => {
    fake.set('claude', { kind: 'hang' });
    const { router, clock } = setup();
    const controller = new AbortController();
    const pending = router.run('extract-lead', TEXT, { signal: controller.signal }).catch((e: unknown) => e);
    await fake.waitForHits('claude', 1);
    controller.abort(new Error('the user left'));
    expect(await pending).toMatchObject({ message: 'the user left' });
    await eventually(() => fake.open('claude') === 0, 'the request to be closed');
    expect(fake.hits('openai')).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('aggregates every provider’s error and latency when all fail', async () => {
    fake.set('claude', { kind: 'status', status: 500, message: 'upstream exploded' });
    fake.set('openai', { kind: 'hang' });
    fake.set('ollama', { kind: 'malformed' });
    const { router, clock } = setup({ defaults: { retries: 0, timeoutMs: 4000 } });
    const pending = router.run('extract-lead', TEXT).catch((e: unknown) => e);
    await fake.waitForHits('openai', 1);
    await clock.advanceAsync(4000);
    const error = (await pending) as { code: string; details: { provider_errors: unknown[]; attempts: unknown[] } };
    expect(error.code).toBe('upstream_failed');
    expect(error.details.provider_errors).toEqual([
      { provider: 'claude', error: '500 api_error: upstream exploded', latency_ms: 0, kind: 'server_error', status: 500 },
      { provider: 'openai', error: 'no answer within 4000 ms', latency_ms: 4000, kind: 'timeout' },
      { provider: 'ollama', error: expect.stringMatching(/^the answer is not valid JSON/), latency_ms: 0, kind: 'invalid_response' },
    ]);
    expect(error.details.attempts).toHaveLength(3);
  });
});

describe('breaker transitions over HTTP, on the injected clock', () => {
  it('opens after the threshold, turns half-open after the reset time, closes after a successful trial', async () => {
    fake.set('claude', { kind: 'status', status: 503 });
    fake.set('openai', { kind: 'ok', text: 'from openai' });
    const { router, clock } = setup({ defaults: { retries: 0, breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 20_000 } } });
    const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

    for (let i = 0; i < 3; i++) await router.chat(ask);
    expect(router.health().claude?.breaker).toBe('closed');
    await router.chat(ask);
    expect(router.health().claude).toMatchObject({ breaker: 'open', reopens_at: new Date(clock.now() + 20_000).toISOString() });
    expect(fake.hits('claude')).toBe(4);

    for (let i = 0; i < 5; i++) await expect(router.chat(ask)).resolves.toMatchObject({ used_provider: 'openai' });
    expect(fake.hits('claude')).toBe(4);

    await clock.advanceAsync(19_999);
    expect(router.health().claude?.breaker).toBe('open');
    await clock.advanceAsync(1);
    expect(router.health().claude?.breaker).toBe('half_open');

    fake.set('claude', { kind: 'ok', text: 'claude is back', delayMs: 30 });
    const results = await Promise.all(Array.from({ length: 20 }, () => router!.chat(ask)));
    expect(fake.hits('claude')).toBe(5);
    expect(results.filter((r) => r.used_provider === 'claude')).toHaveLength(1);
    expect(router.health().claude?.breaker).toBe('closed');
    await expect(router.chat(ask)).resolves.toMatchObject({ used_provider: 'claude' });
  });

  it('reopens when the half-open trial fails', async () => {
    fake.set('claude', { kind: 'status', status: 500 });
    fake.set('openai', { kind: 'ok' });
    const { router, clock } = setup({ defaults: { retries: 0, breaker: { volumeThreshold: 2, resetTimeoutMs: 5_000 } } });
    const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };
    await router.chat(ask);
    await router.chat(ask);
    expect(router.health().claude?.breaker).toBe('open');
    await clock.advanceAsync(5_000);
    await router.chat(ask);
    expect(fake.hits('claude')).toBe(3);
    expect(router.health().claude).toMatchObject({ breaker: 'open', reopens_at: new Date(clock.now() + 5_000).toISOString() });
  });
});
