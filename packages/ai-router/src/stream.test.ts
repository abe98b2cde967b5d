// Streaming through the router against real HTTP servers on 127.0.0.1.
import { createManualClock, silentLogger, type ManualClock } from '@aetherlink/core';
import { eventually } from '@aetherlink/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { fakeProviders } from './_testing/fake-providers.js';
import { createRouter } from './router.js';
import type { ChatStreamEvent, RoutedStream, Router, RouterOptions } from './types.js';

const ask = { messages: [{ role: 'user' as const, content: 'tell me' }] };
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
    defaults: { retries: 0, retryDelayMs: 0, firstTokenTimeoutMs: 3000, idleTimeoutMs: 2000, ...options.defaults },
  });
  return { router, clock };
}

async function read(stream: RoutedStream): Promise<{ text: string; done?: ChatStreamEvent; error?: unknown }> {
  let text = '';
  try {
    for await (const event of stream) {
      if (event.type === 'delta') text += event.text;
      else return { text, done: event };
    }
  } catch (error) {
    return { text, error };
  }
  return { text };
}

describe('before the first token: failed over invisibly', () => {
  it('an error answer', async () => {
    fake.set('claude', { kind: 'status', status: 529 });
    fake.set('openai', { kind: 'ok', text: 'the answer from openai' });
    const { router } = setup();
    const stream = await router.stream(ask);
    expect(stream.used_provider).toBe('openai');
    expect(stream.attempts.map((a) => [a.provider, a.outcome, a.kind])).toEqual([
      ['claude', 'failed', 'overloaded'],
      ['openai', 'ok', undefined],
    ]);
    const { text, done } = await read(stream);
    expect(text).toBe('the answer from openai');
    expect(done).toMatchObject({ type: 'done', usage: { total_tokens: 18 } });
    expect(router.health().openai?.tokens.total).toBe(18);
  });

  it('no first token within its timeout (on the injected clock)', async () => {
    fake.set('claude', { kind: 'hang' });
    fake.set('openai', { kind: 'ok', text: 'fallback' });
    const { router, clock } = setup();
    const pending = router.stream(ask);
    await fake.waitForHits('claude', 1);
    await clock.advanceAsync(3000);
    const stream = await pending;
    expect(stream.used_provider).toBe('openai');
    expect(stream.attempts[0]).toMatchObject({ kind: 'timeout', error: 'no first token within 3000 ms' });
    expect((await read(stream)).text).toBe('fallback');
    await eventually(() => fake.open('claude') === 0, 'claude’s request to close');
  });

  it('a stream that ends before any token', async () => {
    fake.set('claude', { kind: 'stream-truncate', afterChunks: 0 });
    fake.set('openai', { kind: 'ok', text: 'fine' });
    const { router } = setup();
    const stream = await router.stream(ask);
    expect(stream.used_provider).toBe('openai');
    expect((await read(stream)).text).toBe('fine');
  });

  it('every provider failing before a token is the one aggregated error', async () => {
    fake.set('claude', { kind: 'status', status: 500 });
    fake.set('openai', { kind: 'status', status: 503 });
    fake.set('ollama', { kind: 'reset' });
    const { router } = setup();
    await expect(router.stream(ask)).rejects.toMatchObject({
      code: 'upstream_failed',
      details: { provider_errors: [{ provider: 'claude', kind: 'server_error' }, { provider: 'openai', kind: 'overloaded' }, { provider: 'ollama', kind: 'connection' }] },
    });
  });
});

describe('after the first token: reported, never a clean end', () => {
  it.each([
    ['claude', 'an Anthropic error event'],
    ['openai', 'an OpenAI error chunk'],
    ['ollama', 'an Ollama {"error"} line'],
  ] as const)('%s: %s', async (name, _how) => {
    fake.set(name, { kind: 'stream-error', afterChunks: 2 });
    const { router } = setup({ order: [name] });
    const stream = await router.stream(ask);
    const { text, done, error } = await read(stream);
    expect(text).toBe('partial ');
    expect(done).toBeUndefined();
    expect(error).toMatchObject({ message: expect.stringContaining('mid-stream') });
    expect(router.health()[name]).toMatchObject({ healthy: false, failed_calls: 1, last_error: expect.stringContaining('mid-stream') });
  });

  it('a stream that goes silent past the idle timeout', async () => {
    fake.set('claude', { kind: 'stream-stall', afterChunks: 2 });
    const { router, clock } = setup();
    const stream = await router.stream(ask);
    const it = stream[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: { type: 'delta', text: 'part' } });
    expect(await it.next()).toEqual({ done: false, value: { type: 'delta', text: 'ial ' } });
    const next = it.next().catch((e: unknown) => e);
    await eventually(() => clock.pending() === 1, 'the idle timer');
    await clock.advanceAsync(2000);
    expect(await next).toMatchObject({ kind: 'timeout', message: 'the stream went silent for 2000 ms' });
    await eventually(() => fake.open('claude') === 0, 'the stalled request to close');
  });

  it('a stream cut without its final event', async () => {
    fake.set('openai', { kind: 'stream-truncate', afterChunks: 3 });
    const { router } = setup({ order: ['openai'] });
    const { text, error } = await read(await router.stream(ask));
    expect(text).toBe('partial answ');
    expect(error).toMatchObject({ kind: 'stream_error' });
  });
});

describe('the reader in control', () => {
  it('stopping early closes the provider’s connection', async () => {
    fake.set('claude', { kind: 'ok', text: 'a long answer that keeps coming', chunkDelayMs: 5 });
    const { router } = setup();
    const stream = await router.stream(ask);
    for await (const event of stream) {
      expect(event).toEqual({ type: 'delta', text: 'a lo' });
      break;
    }
    await eventually(() => fake.open('claude') === 0, 'the stream to close');
    expect(router.health().claude).toMatchObject({ healthy: true, failed_calls: 0 });
  });

  it('cancel() before reading closes it too; a caller signal cancels mid-stream', async () => {
    fake.set('claude', { kind: 'ok', text: 'slow slow slow slow', chunkDelayMs: 20 });
    const { router } = setup();
    const first = await router.stream(ask);
    first.cancel();
    await eventually(() => fake.open('claude') === 0, 'the cancelled stream to close');

    const controller = new AbortController();
    const second = await router.stream(ask, { signal: controller.signal });
    const it = second[Symbol.asyncIterator]();
    await it.next();
    controller.abort(new Error('bye'));
    await expect(it.next()).rejects.toMatchObject({ kind: 'cancelled' });
    await eventually(() => fake.open('claude') === 0, 'the aborted stream to close');
  });

  it('a custom stream that simply stops without its final event is an error too', async () => {
    router = createRouter({
      providers: {
        custom: {
          vendor: 'custom',
          chat: async () => ({ text: 'unused' }),
          async *stream() {
            yield { type: 'delta' as const, text: 'half' };
            yield { type: 'delta' as const, text: ' an answer' };
          },
        },
      },
      clock: createManualClock(),
    });
    const { text, error } = await read(await router.stream(ask));
    expect(text).toBe('half an answer');
    expect(error).toMatchObject({ kind: 'stream_error', message: 'the stream ended without its final event' });
    expect(router.health().custom?.failed_calls).toBe(1);
  });

  it('streams a provider without stream() as one delta', async () => {
    const clock = createManualClock();
    router = createRouter({ providers: { fn: async () => 'all at once' }, clock });
    const { text, done } = await read(await router.stream(ask));
    expect(text).toBe('all at once');
    expect(done?.type).toBe('done');
  });
});

describe('streamed intents', () => {
  it('the final event carries the validated output', async () => {
    fake.set('claude', { kind: 'ok', text: '{"name":"Ann Lee","email":"ann@acme.io","company":"Acme"}' });
    const { router } = setup();
    const stream = await router.streamIntent('extract-lead', 'Ann Lee, ann@acme.io, Acme');
    expect(stream.intent).toBe('extract-lead');
    const { done } = await read(stream);
    expect(done).toMatchObject({ type: 'done', output: { name: 'Ann Lee', email: 'ann@acme.io', company: 'Acme' } });
  });

  it('output that fails the schema at the end is an error, counted against the provider', async () => {
    fake.set('claude', { kind: 'ok', text: '{"name":"Ann Lee"}' });
    const { router } = setup();
    const { text, error } = await read(await router.streamIntent('extract-lead', 'Ann Lee'));
    expect(text).toBe('{"name":"Ann Lee"}');
    expect(error).toMatchObject({ kind: 'invalid_output' });
    expect(router.health().claude?.failed_calls).toBe(1);
  });
});
