import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer, type Vendor } from '../_testing/fake-llm-server.js';
import { isProviderError } from '../errors.js';
import type { ChatStreamEvent, Provider, ProviderCallContext } from '../types.js';
import { anthropicProvider } from './anthropic.js';
import { ollamaProvider } from './ollama.js';
import { openaiProvider } from './openai.js';

let fake: FakeLlmServer;
beforeAll(async () => {
  fake = await startFakeLlmServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const ctx = (timeoutMs = 2000): ProviderCallContext => ({ signal: new AbortController().signal, timeoutMs, idleTimeoutMs: timeoutMs });
const ask = { messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'hello' }], maxTokens: 50, temperature: 0.3 };

function make(vendor: Vendor, id: string): Provider {
  const baseUrl = fake.baseUrl(id, vendor);
  if (vendor === 'anthropic') return anthropicProvider({ baseUrl, apiKey: 'sk-ant-test', model: 'claude-test', env: {} });
  if (vendor === 'openai') return openaiProvider({ baseUrl, apiKey: 'sk-test', model: 'gpt-test', env: {} });
  return ollamaProvider({ baseUrl, model: 'llama-test', env: {} });
}

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<{ text: string; events: ChatStreamEvent[]; error?: unknown }> {
  const seen: ChatStreamEvent[] = [];
  try {
    for await (const e of events) seen.push(e);
  } catch (error) {
    return { text: seen.map((e) => (e.type === 'delta' ? e.text : '')).join(''), events: seen, error };
  }
  return { text: seen.map((e) => (e.type === 'delta' ? e.text : '')).join(''), events: seen };
}

describe('wire formats', () => {
  it('Anthropic: POST /v1/messages with x-api-key and anthropic-version, system apart, usage read', async () => {
    fake.set('a', { kind: 'ok', text: 'hi there', usage: { input: 12, output: 3 } });
    const answer = await make('anthropic', 'a').chat({ ...ask, json: true }, ctx());
    expect(answer).toEqual({ text: 'hi there', model: 'claude-test', usage: { input_tokens: 12, output_tokens: 3, total_tokens: 15 }, finish_reason: 'end_turn' });
    const [req] = fake.requests('a');
    expect(req?.path).toBe('/p/a/v1/messages');
    expect(req?.headers['x-api-key']).toBe('sk-ant-test');
    expect(req?.headers['anthropic-version']).toBe('2023-06-01');
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.body).toEqual({
      model: 'claude-test',
      max_tokens: 50,
      system: 'be brief\n\nAnswer with one JSON object and nothing else: no prose, no code fences.',
      messages: [{ role: 'user', content: 'hello' }],
      temperature: 0.3,
    });
  });

  it('OpenAI-compatible: POST {base}/chat/completions with a bearer key and json_object', async () => {
    fake.set('o', { kind: 'ok', text: 'hi', usage: { input: 5, output: 2 } });
    const answer = await make('openai', 'o').chat({ ...ask, json: true, stop: ['\n\n'] }, ctx());
    expect(answer).toEqual({ text: 'hi', model: 'gpt-test', usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 }, finish_reason: 'stop' });
    const [req] = fake.requests('o');
    expect(req?.path).toBe('/p/o/v1/chat/completions');
    expect(req?.headers.authorization).toBe('Bearer sk-test');
    expect(req?.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 50,
      temperature: 0.3,
      stop: ['\n\n'],
      response_format: { type: 'json_object' },
    });
  });

  it('OpenAI-compatible: a bare origin gets /v1, as vLLM and llama.cpp serve it', async () => {
    const provider = openaiProvider({ baseUrl: fake.url, model: 'm', env: {} });
    await expect(provider.chat(ask, ctx())).rejects.toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('Ollama: POST /api/chat with format json and options', async () => {
    fake.set('l', { kind: 'ok', text: '{"a":1}', usage: { input: 9, output: 4 } });
    const answer = await make('ollama', 'l').chat({ ...ask, json: true }, ctx());
    expect(answer).toEqual({ text: '{"a":1}', model: 'llama-test', usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 }, finish_reason: 'stop' });
    expect(fake.requests('l')[0]?.body).toEqual({
      model: 'llama-test',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      stream: false,
      format: 'json',
      options: { temperature: 0.3, num_predict: 50 },
    });
  });

  it('reads base URL, key and model from the environment (DESIGN §4 names)', async () => {
    fake.set('e', { kind: 'ok' });
    const provider = anthropicProvider({ env: { ANTHROPIC_BASE_URL: fake.baseUrl('e', 'anthropic'), ANTHROPIC_API_KEY: 'sk-env', ANTHROPIC_MODEL: 'claude-env' } });
    expect(provider.model).toBe('claude-env');
    await provider.chat(ask, ctx());
    expect(fake.requests('e')[0]?.headers['x-api-key']).toBe('sk-env');
    expect(() => ollamaProvider({ env: { OLLAMA_BASE_URL: 'ftp://nope' } })).toThrow(/OLLAMA_BASE_URL: must be an http\(s\) URL/);
  });
});

describe.each(['anthropic', 'openai', 'ollama'] as const)('%s failures, classified once', (vendor) => {
  const p = () => make(vendor, vendor);

  it('429 with retry-after is rate_limited and carries the wait', async () => {
    fake.set(vendor, { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 7000, retryable: true });
  });

  it('a quota or spend-limit 429 is quota_exhausted and not retryable', async () => {
    fake.set(vendor, { kind: 'quota' });
    const error = await p().chat(ask, ctx()).catch((e: unknown) => e);
    if (vendor === 'ollama') expect(error).toMatchObject({ kind: 'rate_limited' });
    else expect(error).toMatchObject({ kind: 'quota_exhausted', retryable: false, countsAsFailure: true });
  });

  it('500 is a retryable server error, 529 a retryable overload', async () => {
    fake.set(vendor, { kind: 'status', status: 500 }, { kind: 'status', status: 529 });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'server_error', retryable: true });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'overloaded', retryable: true, status: 529 });
  });

  it('400, 401 and 404 are not retryable', async () => {
    fake.set(vendor, { kind: 'status', status: 400 }, { kind: 'status', status: 401 }, { kind: 'status', status: 404 });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'bad_request', retryable: false, countsAsFailure: false });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'auth', retryable: false, countsAsFailure: true });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'not_found', retryable: false });
  });

  it('a reset connection is a retryable connection failure', async () => {
    fake.set(vendor, { kind: 'reset' });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'connection', retryable: true });
  });

  it('malformed JSON is an invalid response', async () => {
    fake.set(vendor, { kind: 'malformed' });
    await expect(p().chat(ask, ctx())).rejects.toMatchObject({ kind: 'invalid_response', retryable: false, countsAsFailure: true });
  });

  it('a server that never answers is abandoned at the header timeout the provider sets, and its socket closed', async () => {
    fake.set(vendor, { kind: 'hang' });
    // Nothing aborts this call's signal: only undici's header timer, set from timeoutMs (undici's own default
    // is 300 s, far past this test's limit), can end it.
    const error = await p().chat(ask, ctx(150)).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, message: expect.stringMatching(/^UND_ERR_HEADERS_TIMEOUT/) });
    expect(fake.hits(vendor)).toBe(1);
    await expect.poll(() => fake.open(vendor)).toBe(0);
  });

  it('an aborted signal ends the request and reports the router’s reason', async () => {
    fake.set(vendor, { kind: 'hang' });
    const controller = new AbortController();
    const pending = p().chat(ask, { signal: controller.signal, timeoutMs: 10_000 });
    await fake.waitForHits(vendor, 1);
    controller.abort(new Error('gone'));
    const error = await pending.catch((e: unknown) => e);
    expect(isProviderError(error) && error.kind).toBe('cancelled');
    await expect.poll(() => fake.open(vendor)).toBe(0);
  });
});

describe.each(['anthropic', 'openai', 'ollama'] as const)('%s streaming', (vendor) => {
  const p = () => make(vendor, `s-${vendor}`);
  const id = `s-${vendor}`;

  it('streams deltas, then one done with usage', async () => {
    fake.set(id, { kind: 'ok', text: 'Hello, streaming world', usage: { input: 4, output: 6 } });
    const { text, events, error } = await collect(p().stream!(ask, ctx()));
    expect(error).toBeUndefined();
    expect(text).toBe('Hello, streaming world');
    expect(events.filter((e) => e.type === 'delta').length).toBeGreaterThan(3);
    expect(events.at(-1)).toMatchObject({ type: 'done', usage: { input_tokens: 4, output_tokens: 6, total_tokens: 10 } });
    expect(fake.requests(id)[0]?.body.stream).toBe(true);
  });

  it('an error after the 200 (error event, error line or error chunk) is thrown, never a clean end', async () => {
    fake.set(id, { kind: 'stream-error', afterChunks: 2 });
    const { text, events, error } = await collect(p().stream!(ask, ctx()));
    expect(text).toBe('partial ');
    expect(events.some((e) => e.type === 'done')).toBe(false);
    expect(error).toMatchObject({ message: expect.stringMatching(/mid-stream/) });
    if (vendor === 'anthropic') expect(error).toMatchObject({ kind: 'overloaded' });
  });

  it('a stream cut before its final event is an error', async () => {
    fake.set(id, { kind: 'stream-truncate', afterChunks: 3 });
    const { events, error } = await collect(p().stream!(ask, ctx()));
    expect(events.some((e) => e.type === 'done')).toBe(false);
    expect(error).toMatchObject({ kind: 'stream_error', message: expect.stringMatching(/ended before/) });
  });

  it('errors before the stream starts are classified like any answer', async () => {
    fake.set(id, { kind: 'status', status: 529 });
    const { events, error } = await collect(p().stream!(ask, ctx()));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ kind: 'overloaded', status: 529 });
  });
});
