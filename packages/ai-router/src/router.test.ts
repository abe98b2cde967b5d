import { memoryLogger } from '@aetherlink/core/testing';
import { createEventBus, createManualClock, createSchemaRegistry, isAetherError, silentLogger, type EventBus, type ManualClock } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from './errors.js';
import { AI_EVENT_TYPES } from './events.js';
import { createRouter } from './router.js';
import type { ChatRequest, ProviderCallContext, ProviderFunction, Router, RouterOptions } from './types.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
const ask: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };
const LEAD = '{"name":"Ann Lee","email":"ann@acme.io","company":"Acme"}';

/** A provider function whose every call the test can see and steer. */
function scripted(behave: (call: number, ctx: ProviderCallContext) => Promise<string> | string) {
  const calls: ProviderCallContext[] = [];
  const fn: ProviderFunction = (_req, ctx) => {
    calls.push(ctx);
    return behave(calls.length, ctx);
  };
  return { fn, calls };
}
const ok = (text = 'ok') => scripted(() => text);
const failing = (kind: ConstructorParameters<typeof ProviderError>[0], extra: ConstructorParameters<typeof ProviderError>[2] = {}) =>
  scripted(() => Promise.reject(new ProviderError(kind, `${kind}!`, extra)));
const hanging = () => scripted(() => new Promise<string>(() => undefined));

let routers: Router[] = [];
afterEach(() => {
  for (const r of routers) r.close();
  routers = [];
});

function make(options: Omit<RouterOptions, 'clock'> & { clock?: ManualClock }) {
  const clock = options.clock ?? createManualClock();
  const router = createRouter({ random: () => 0.5, logger: silentLogger, ...options, clock });
  routers.push(router);
  return { router, clock };
}

describe('fallback in order', () => {
  it('answers from the first provider that succeeds, with every attempt', async () => {
    const a = failing('auth');
    const b = ok('from b');
    const c = ok('from c');
    const { router } = make({ providers: { a: a.fn, b: b.fn, c: c.fn } });
    const result = await router.chat(ask);
    expect(result).toMatchObject({ used_provider: 'b', output: 'from b', text: 'from b' });
    expect(result.attempts).toEqual([
      { provider: 'a', attempt: 1, outcome: 'failed', latency_ms: 0, error: 'auth!', kind: 'auth' },
      { provider: 'b', attempt: 1, outcome: 'ok', latency_ms: 0 },
    ]);
    expect(c.calls).toHaveLength(0);
  });

  it('retries only retryable failures on the same provider, waiting on the injected clock', async () => {
    const a = scripted((n) => (n < 3 ? Promise.reject(new ProviderError('overloaded', '529')) : 'third time'));
    const { router, clock } = make({ providers: { a: a.fn }, defaults: { retries: 2, retryDelayMs: 1000 } });
    const pending = router.chat(ask);
    await flush();
    expect(a.calls).toHaveLength(1);
    // Backoff 1000 ms doubling, with equal jitter: random 0.5 gives 750 ms, then 1500 ms.
    await clock.advanceAsync(749);
    expect(a.calls).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(a.calls).toHaveLength(2);
    await clock.advanceAsync(1499);
    expect(a.calls).toHaveLength(2);
    await clock.advanceAsync(1);
    const result = await pending;
    expect(result.output).toBe('third time');
    expect(result.attempts.map((x) => [x.attempt, x.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'ok'],
    ]);
  });

  it('does not retry a request the provider rejected', async () => {
    const a = failing('bad_request');
    const b = ok();
    const { router } = make({ providers: { a: a.fn, b: b.fn }, defaults: { retries: 3 } });
    await router.chat(ask);
    expect(a.calls).toHaveLength(1);
  });

  it('fails over at once when retry-after is longer than the time left, and cools the provider down', async () => {
    const a = failing('rate_limited', { status: 429, retryAfterMs: 20_000 });
    const b = ok();
    const { router, clock } = make({ providers: { a: a.fn, b: b.fn }, deadlineMs: 10_000, defaults: { retries: 2, maxRetryDelayMs: 60_000 } });
    const result = await router.chat(ask);
    expect(result.used_provider).toBe('b');
    expect(a.calls).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ provider: 'a', kind: 'rate_limited', status: 429, retry_after_ms: 20_000 });
    expect(router.health().a).toMatchObject({ breaker: 'open', reopens_at: new Date(clock.now() + 20_000).toISOString() });
    await router.chat(ask);
    expect(a.calls).toHaveLength(1);
    await clock.advanceAsync(20_000);
    await router.chat(ask);
    expect(a.calls).toHaveLength(2);
  });

  it('honours a short retry-after on the same provider', async () => {
    const a = scripted((n) => (n === 1 ? Promise.reject(new ProviderError('rate_limited', '429', { retryAfterMs: 1500 })) : 'after waiting'));
    const { router, clock } = make({ providers: { a: a.fn, b: ok().fn } });
    const pending = router.chat(ask);
    await flush();
    await clock.advanceAsync(1499);
    expect(a.calls).toHaveLength(1);
    await clock.advanceAsync(1);
    await expect(pending).resolves.toMatchObject({ used_provider: 'a', output: 'after waiting' });
  });

  it('never retries used-up quota and keeps that provider off for long', async () => {
    const a = failing('quota_exhausted', { status: 429 });
    const { router, clock } = make({ providers: { a: a.fn, b: ok().fn }, defaults: { retries: 3, quotaCooldownMs: 3_600_000 } });
    await router.chat(ask);
    expect(a.calls).toHaveLength(1);
    await clock.advanceAsync(3_599_000);
    await router.chat(ask);
    expect(a.calls).toHaveLength(1);
    expect(router.health().a?.breaker).toBe('open');
  });
});

describe('time and cancellation', () => {
  it('times an attempt out on the injected clock, aborting the provider’s signal, and fails over', async () => {
    const a = hanging();
    const { router, clock } = make({ providers: { a: a.fn, b: ok('b').fn }, defaults: { timeoutMs: 5000, retries: 0 } });
    const pending = router.chat(ask);
    await flush();
    expect(a.calls[0]?.timeoutMs).toBe(5000);
    await clock.advanceAsync(5000);
    const result = await pending;
    expect(result.used_provider).toBe('b');
    expect(a.calls[0]?.signal.aborted).toBe(true);
    expect(result.attempts[0]).toMatchObject({ provider: 'a', outcome: 'failed', kind: 'timeout', latency_ms: 5000, error: 'no answer within 5000 ms' });
    expect(clock.pending()).toBe(0);
  });

  it('keeps the whole call within its deadline', async () => {
    const a = hanging();
    const b = ok();
    const { router, clock } = make({ providers: { a: a.fn, b: b.fn }, deadlineMs: 2000, defaults: { timeoutMs: 30_000 } });
    const pending = router.chat(ask).catch((e: unknown) => e);
    await flush();
    expect(a.calls[0]?.timeoutMs).toBe(2000);
    await clock.advanceAsync(2000);
    const error = await pending;
    expect(isAetherError(error) && error.code).toBe('upstream_failed');
    expect((error as { details: { attempts: unknown[] } }).details.attempts).toEqual([
      expect.objectContaining({ provider: 'a', kind: 'deadline', latency_ms: 2000 }),
      expect.objectContaining({ provider: 'b', outcome: 'skipped', kind: 'deadline' }),
    ]);
    expect(b.calls).toHaveLength(0);
  });

  it('cancels an attempt in flight with the caller’s signal', async () => {
    const a = hanging();
    const { router, clock } = make({ providers: { a: a.fn, b: ok().fn } });
    const controller = new AbortController();
    const pending = router.chat(ask, { signal: controller.signal }).catch((e: unknown) => e);
    await flush();
    const reason = new Error('user went away');
    controller.abort(reason);
    expect(await pending).toBe(reason);
    expect(a.calls[0]?.signal.aborted).toBe(true);
    await flush();
    expect(clock.pending()).toBe(0);
    expect(router.health().a).toMatchObject({ failed_calls: 0, healthy: true });
  });

  it('cancels a wait between retries', async () => {
    const a = failing('server_error');
    const { router, clock } = make({ providers: { a: a.fn }, defaults: { retries: 3, retryDelayMs: 10_000 } });
    const controller = new AbortController();
    const pending = router.chat(ask, { signal: controller.signal }).catch((e: unknown) => e);
    await flush();
    expect(clock.pending()).toBe(1);
    controller.abort(new Error('stop'));
    expect(await pending).toMatchObject({ message: 'stop' });
    expect(clock.pending()).toBe(0);
    expect(a.calls).toHaveLength(1);
  });

  it('times out a provider that ignores its signal', async () => {
    const stubborn = scripted(() => new Promise<string>(() => undefined));
    const { router, clock } = make({ providers: { a: stubborn.fn, b: ok().fn }, defaults: { timeoutMs: 100, retries: 0 } });
    const pending = router.chat(ask);
    await flush();
    await clock.advanceAsync(100);
    await expect(pending).resolves.toMatchObject({ used_provider: 'b' });
  });
});

describe('intents', () => {
  it('counts output that fails the intent’s schema as that provider’s failure and fails over', async () => {
    const a = ok('{"name":"Ann Lee","email":"nope","company":"Acme"}');
    const b = ok(LEAD);
    const { router } = make({ providers: { a: a.fn, b: b.fn }, defaults: { retries: 2 } });
    const result = await router.run('extract-lead', { text: 'Ann Lee, ann@acme.io, Acme' });
    expect(result).toMatchObject({ intent: 'extract-lead', used_provider: 'b', output: { name: 'Ann Lee', email: 'ann@acme.io', company: 'Acme' } });
    expect(a.calls).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ provider: 'a', kind: 'invalid_output' });
    expect(router.health().a).toMatchObject({ failed_calls: 1, healthy: false, last_error: expect.stringContaining('email') });
  });

  it('rejects an unknown intent and bad input, naming the field', async () => {
    const { router } = make({ providers: { a: ok().fn } });
    await expect(router.run('write-poem', {})).rejects.toMatchObject({ code: 'validation_failed', errors: [{ field: 'intent', message: expect.stringContaining('unknown intent "write-poem"') }] });
    await expect(router.run('extract-lead', { text: '' })).rejects.toMatchObject({ code: 'validation_failed', errors: [{ field: 'input.text', message: 'must not be empty' }] });
  });

  it('uses only providers that serve the intent’s capability', async () => {
    const general = ok('summary from general');
    let leadCalls = 0;
    const { router } = make({
      providers: {
        leads: { vendor: 'custom', capabilities: ['extract_lead'], chat: async () => (leadCalls++, { text: LEAD }) },
        general: general.fn,
      },
    });
    await expect(router.run('summarize-activity', 'called Ann')).resolves.toMatchObject({ used_provider: 'general' });
    expect(leadCalls).toBe(0);
    await expect(router.run('extract-lead', 'Ann Lee, ann@acme.io, Acme')).resolves.toMatchObject({ used_provider: 'leads' });
    expect(router.providerNames()).toEqual(['leads', 'general']);
  });
});

describe('the all-failed error and events', () => {
  it('throws one upstream_failed error with each provider’s error and latency, and publishes ai.fallback.failed', async () => {
    const bus = createEventBus();
    const { logger, lines: logged } = memoryLogger();
    const a = scripted(() => new Promise<string>(() => undefined));
    const b = failing('server_error', { status: 500 });
    const { router, clock } = make({ providers: { claude: a.fn, openai: b.fn }, bus, logger, defaults: { timeoutMs: 300, retries: 0 } });
    const pending = router.run('summarize-activity', 'a call').catch((e: unknown) => e);
    await flush();
    await clock.advanceAsync(300);
    const error = (await pending) as { code: string; message: string; details: Record<string, unknown> };
    expect(error.code).toBe('upstream_failed');
    expect(error.message).toBe('every provider failed for "summarize-activity": claude: no answer within 300 ms; openai: server_error!');
    expect(error.details).toMatchObject({
      intent: 'summarize-activity',
      provider_errors: [
        { provider: 'claude', error: 'no answer within 300 ms', latency_ms: 300, kind: 'timeout' },
        { provider: 'openai', error: 'server_error!', latency_ms: 0, kind: 'server_error', status: 500 },
      ],
    });
    await flush();
    const { events } = await bus.query({ type: 'ai.fallback.failed' });
    expect(events[0]?.data).toEqual({
      intent: 'summarize-activity',
      errors: [
        { provider: 'claude', error: 'no answer within 300 ms', latency_ms: 300, kind: 'timeout' },
        { provider: 'openai', error: 'server_error!', latency_ms: 0, kind: 'server_error' },
      ],
    });
    // Each failed call at debug only: a storm of them must not flood the log.
    expect(logged).toEqual([
      {
        level: 'debug',
        fields: { intent: 'summarize-activity', provider_errors: (events[0]?.data as { errors: unknown[] }).errors },
        msg: 'every provider failed',
      },
    ]);
  });

  it('logs an event it could not publish through the injected logger, and the call still answers', async () => {
    const { logger, lines: logged } = memoryLogger();
    const bus = { emit: () => Promise.reject(new Error('the event store is down')) } as unknown as EventBus;
    const { router } = make({ providers: { a: ok('fine').fn }, bus, logger });
    await expect(router.chat(ask)).resolves.toMatchObject({ used_provider: 'a' });
    await flush();
    expect(logged).toEqual([
      { level: 'warn', fields: expect.objectContaining({ event_type: 'ai.provider.used', err: expect.objectContaining({ message: 'the event store is down' }) }), msg: 'the AI router could not publish an event' },
    ]);
  });

  it('publishes events that pass its own schemas (AI_EVENT_TYPES), in a strict registry without core’s built-ins', async () => {
    const registry = createSchemaRegistry({ strict: true, builtins: false });
    for (const type of AI_EVENT_TYPES) registry.register(type);
    const bus = createEventBus({ registry });
    const { logger, lines: logged } = memoryLogger();
    const { router } = make({ providers: { claude: failing('overloaded').fn, ollama: ok('Ann asked about pricing.').fn }, bus, logger, defaults: { retries: 0 } });
    await router.run('summarize-activity', { text: 'call notes', subject_id: 42 });
    await flush();
    const { events } = await bus.query({});
    expect(events.map((e) => [e.type, e.severity]).sort()).toEqual([
      ['ai.fallback.used', 'warning'],
      ['ai.provider.used', 'info'],
      ['ai.summary.created', 'info'],
    ]);
    expect(logged).toEqual([]);
  });

  it('publishes ai.provider.used for each answer and ai.fallback.used when a later provider answered', async () => {
    const bus = createEventBus();
    const { router } = make({ providers: { claude: failing('overloaded').fn, ollama: ok(LEAD).fn }, bus, defaults: { retries: 0 } });
    await router.run('extract-lead', 'Ann Lee, ann@acme.io, Acme');
    await flush();
    const used = await bus.query({ type: 'ai.provider.used' });
    expect(used.events[0]?.data).toMatchObject({ provider: 'ollama', intent: 'extract-lead', latency_ms: 0, attempts: 2 });
    const fallback = await bus.query({ type: 'ai.fallback.used' });
    expect(fallback.events[0]).toMatchObject({ severity: 'warning', data: { provider: 'ollama', intent: 'extract-lead', failed: [{ provider: 'claude', error: 'overloaded!', latency_ms: 0 }] } });
  });
});

describe('intent events', () => {
  it('publishes ai.summary.created when summarize-activity succeeds, plain or streamed', async () => {
    const bus = createEventBus();
    const { router } = make({ providers: { a: ok('Ann asked about pricing.').fn }, bus, emitProviderUsed: false });
    await router.run('summarize-activity', { text: 'call notes', subject_id: 42 });
    const stream = await router.streamIntent('summarize-activity', 'more notes');
    for await (const _ of stream) void _;
    await flush();
    const { events } = await bus.query({ type: 'ai.summary.created' });
    expect(events.map((e) => e.data)).toEqual([{ summary: 'Ann asked about pricing.' }, { summary: 'Ann asked about pricing.', subject_id: 42 }]);
    expect((await bus.query({ type: 'ai.provider.used' })).events).toHaveLength(0);
  });
});

describe('breakers through the router', () => {
  const breaker = { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 10_000 };

  it('opens after the threshold, skips the provider, lets one trial through half-open, and closes on success', async () => {
    let healthy = false;
    const a = scripted((n) => (healthy ? 'a is back' : Promise.reject(new ProviderError('server_error', `500 number ${n}`))));
    const b = ok('b');
    const { logger, lines: logged } = memoryLogger();
    const { router, clock } = make({ providers: { a: a.fn, b: b.fn }, logger, defaults: { retries: 0, breaker } });
    const reopensAt = new Date(clock.now() + 10_000).toISOString();
    for (let i = 0; i < 3; i++) await router.chat(ask);
    expect(router.health().a).toMatchObject({ breaker: 'open', healthy: false, failed_calls: 3, total_calls: 3 });
    const skipped = await router.chat(ask);
    expect(skipped.attempts[0]).toEqual({ provider: 'a', attempt: 1, outcome: 'skipped', latency_ms: 0, error: 'circuit breaker open', kind: 'breaker_open' });
    expect(a.calls).toHaveLength(3);

    await clock.advanceAsync(10_000);
    expect(router.health().a?.breaker).toBe('half_open');
    healthy = true;
    const results = await Promise.all(Array.from({ length: 100 }, () => router.chat(ask)));
    expect(a.calls).toHaveLength(4);
    expect(results.filter((r) => r.used_provider === 'a')).toHaveLength(1);
    expect(results.filter((r) => r.used_provider === 'b')).toHaveLength(99);
    expect(router.health().a?.breaker).toBe('closed');
    // One line when it opened (with the failure that tipped it) and one when it closed; none per call.
    expect(logged.filter((l) => l.level !== 'debug')).toEqual([
      { level: 'warn', fields: { provider: 'a', reopens_at: reopensAt, last_error: '500 number 3' }, msg: 'a provider’s circuit breaker opened' },
      { level: 'info', fields: { provider: 'a' }, msg: 'a provider’s circuit breaker closed' },
    ]);
  });

  it('sends exactly one of 100 concurrent callers to a half-open provider while its trial is in flight', async () => {
    let release!: (text: string) => void;
    let mode: 'fail' | 'slow' = 'fail';
    const a = scripted(() => (mode === 'fail' ? Promise.reject(new ProviderError('server_error', '500')) : new Promise<string>((r) => (release = r))));
    const { router, clock } = make({ providers: { a: a.fn, b: ok('b').fn }, defaults: { retries: 0, breaker } });
    for (let i = 0; i < 3; i++) await router.chat(ask);
    await clock.advanceAsync(10_000);
    mode = 'slow';
    const before = a.calls.length;
    const all = Promise.all(Array.from({ length: 100 }, () => router.chat(ask)));
    await flush();
    expect(a.calls.length - before).toBe(1);
    release('trial ok');
    const results = await all;
    expect(results.filter((r) => r.used_provider === 'a')).toHaveLength(1);
    expect(router.health().a?.breaker).toBe('closed');
  });

  it('reports every breaker open with a retry-after', async () => {
    const { router, clock } = make({ providers: { a: failing('server_error').fn }, defaults: { retries: 0, breaker } });
    for (let i = 0; i < 3; i++) await router.chat(ask).catch(() => undefined);
    await clock.advanceAsync(2500);
    await expect(router.chat(ask)).rejects.toMatchObject({ code: 'upstream_failed', message: "every provider's circuit breaker is open", details: { retry_after_seconds: 8 } });
  });
});

describe('ordering, budgets and hedging', () => {
  it('caps the attempts of one call and keeps one for every later provider', async () => {
    const a = failing('server_error');
    const b = failing('server_error');
    const c = failing('server_error');
    const { router } = make({ providers: { a: a.fn, b: b.fn, c: c.fn }, maxAttempts: 4, defaults: { retries: 5, retryDelayMs: 0 } });
    const error = (await router.chat(ask).catch((e: unknown) => e)) as { details: { attempts: unknown[] } };
    expect(error.details.attempts).toHaveLength(4);
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([2, 1, 1]);
  });

  it('orders by recent p50 with the latency strategy', async () => {
    const clock = createManualClock();
    const slow = scripted(async () => {
      await new Promise<void>((r) => clock.setTimeout(r, 800));
      return 'slow';
    });
    const fast = scripted(async () => {
      await new Promise<void>((r) => clock.setTimeout(r, 50));
      return 'fast';
    });
    const { router } = make({ clock, providers: { slow: slow.fn, fast: fast.fn }, strategy: 'latency' });
    // Teach the router both latencies: once each, in their configured order.
    const first = router.chat(ask);
    await flush();
    await clock.advanceAsync(800);
    await first;
    const second = router.chat(ask, { order: ['fast'] });
    await flush();
    await clock.advanceAsync(50);
    await second;
    const third = router.chat(ask);
    await flush();
    await clock.advanceAsync(50);
    await expect(third).resolves.toMatchObject({ used_provider: 'fast' });
  });

  it('moves a preferred provider to the front', async () => {
    const { router } = make({ providers: { a: ok('a').fn, b: ok('b').fn } });
    await expect(router.chat(ask, { prefer: 'b' })).resolves.toMatchObject({ used_provider: 'b' });
    await expect(router.chat(ask, { prefer: 'zz' })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('hedges: when the primary is slower than its recent p95, the next provider runs too and the first answer wins', async () => {
    const clock = createManualClock();
    let slowNow = false;
    const a = scripted(async (_n, ctx) => {
      await new Promise<void>((r, j) => {
        const t = clock.setTimeout(r, slowNow ? 60_000 : 100);
        ctx.signal.addEventListener('abort', () => {
          clock.clearTimeout(t);
          j(ctx.signal.reason);
        });
      });
      return 'a';
    });
    const b = scripted(async () => {
      await new Promise<void>((r) => clock.setTimeout(r, 30));
      return 'b';
    });
    const { router } = make({ clock, providers: { a: a.fn, b: b.fn }, hedge: { minSamples: 3 } });
    for (let i = 0; i < 3; i++) {
      const p = router.chat(ask);
      await flush();
      await clock.advanceAsync(100);
      await p;
    }
    expect(b.calls).toHaveLength(0);
    slowNow = true;
    const p = router.chat(ask);
    await flush();
    await clock.advanceAsync(99);
    expect(b.calls).toHaveLength(0);
    await clock.advanceAsync(1);
    expect(b.calls).toHaveLength(1);
    await clock.advanceAsync(30);
    const result = await p;
    expect(result.used_provider).toBe('b');
    expect(result.latency_ms).toBe(130);
    expect(result.attempts).toEqual([
      { provider: 'b', attempt: 1, outcome: 'ok', latency_ms: 30, hedged: true },
      { provider: 'a', attempt: 1, outcome: 'cancelled', latency_ms: 130, error: 'another provider answered first', kind: 'cancelled' },
    ]);
    expect(a.calls[3]?.signal.aborted).toBe(true);
    await flush();
    expect(clock.pending()).toBe(0);
    expect(router.health().a).toMatchObject({ failed_calls: 0 });
  });
});

describe('configuration', () => {
  it('rejects a bad configuration at start, naming every problem', () => {
    const fn = ok().fn;
    expect(() =>
      createRouter({
        providers: { a: fn, b: fn },
        order: ['a', 'x', 'a'],
        fallbacks: { a: ['b'], b: ['a'] },
        settings: { zz: {}, b: { timeoutMs: -5 } },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        errors: expect.arrayContaining([
          { field: 'settings.zz', message: 'no provider is named "zz"' },
          { field: 'fallbacks.a', message: 'cycle a → b → a' },
          { field: 'order.1', message: 'unknown provider "x"; known: a, b' },
          { field: 'order.2', message: '"a" is listed twice' },
          expect.objectContaining({ field: 'settings.b.timeoutMs' }),
        ]),
      }),
    );
  });

  it('rejects a chain longer than the attempt cap and intents no provider serves', () => {
    const fn = ok().fn;
    expect(() => createRouter({ providers: { a: fn, b: fn, c: fn }, maxAttempts: 2 })).toThrow(/its chain has 3 providers but maxAttempts is 2/);
    expect(() => createRouter({ providers: { a: { vendor: 'x', capabilities: ['chat'], chat: async () => ({ text: '' }) } } })).toThrow(
      /intents.extract-lead: needs capability "extract_lead"/,
    );
  });
});
