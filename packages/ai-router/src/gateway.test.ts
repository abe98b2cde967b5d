// The OpenAI-compatible gateway, driven by the official `openai` npm client against a real Fastify server.
import { silentLogger } from '@aetherlink/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { serveRoutes, type ServedRoutes } from './_testing/serve-routes.js';
import { fakeProviders } from './_testing/fake-providers.js';
import { createRouter } from './router.js';

let fake: FakeLlmServer;
let served: ServedRoutes;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeLlmServer();
  served = await serveRoutes();
  // What an app changes to get fallback: the base URL (and, with header auth, a role header).
  client = new OpenAI({ apiKey: 'not-used-with-header-auth', baseURL: `${served.url}/v1`, defaultHeaders: { 'x-user-roles': 'agent' }, maxRetries: 2, timeout: 10_000 });
});
afterAll(async () => {
  await served.close();
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  served.use(
    createRouter({
      providers: fakeProviders(fake),
      logger: silentLogger,
      defaults: { retries: 0, timeoutMs: 2000, firstTokenTimeoutMs: 2000 },
    }),
  );
});

const messages = [
  { role: 'developer' as const, content: 'be brief' },
  { role: 'user' as const, content: 'hello' },
];

describe('POST /v1/chat/completions with the official openai client', () => {
  it('answers through the fallback chain, in OpenAI’s shape', async () => {
    fake.set('claude', { kind: 'status', status: 529 });
    fake.set('openai', { kind: 'ok', text: 'hello from the fallback', usage: { input: 8, output: 4 } });
    const { data, response } = await client.chat.completions.create({ model: 'auto', messages, max_tokens: 64 }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-test');
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'hello from the fallback' });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toEqual({ prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 });
    expect(response.headers.get('x-aetherlink-provider')).toBe('openai');
    expect(fake.requests('claude')[0]?.body).toMatchObject({ system: 'be brief', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] });
  });

  it('tries the provider a model names first (by provider name or its model id)', async () => {
    const byModel = await client.chat.completions.create({ model: 'llama-test', messages }).withResponse();
    expect(byModel.response.headers.get('x-aetherlink-provider')).toBe('ollama');
    const byName = await client.chat.completions.create({ model: 'openai', messages }).withResponse();
    expect(byName.response.headers.get('x-aetherlink-provider')).toBe('openai');
    const unknown = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(unknown.response.headers.get('x-aetherlink-provider')).toBe('claude');
  });

  it('streams, failing over invisibly before the first token', async () => {
    fake.set('claude', { kind: 'hang' });
    fake.set('openai', { kind: 'status', status: 503 });
    fake.set('ollama', { kind: 'ok', text: 'streamed by ollama', usage: { input: 3, output: 5 } });
    served.use(
      createRouter({
        providers: fakeProviders(fake),
        // Long enough that a busy machine never times out the provider that does answer; the hung one still
        // fails over after it.
        defaults: { retries: 0, firstTokenTimeoutMs: 2000 },
      }),
    );
    const stream = await client.chat.completions.create({ model: 'auto', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
      expect(chunk.object).toBe('chat.completion.chunk');
    }
    expect(text).toBe('streamed by ollama');
    expect(finishes.at(-1)).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    expect(fake.hits('claude')).toBe(1);
    expect(fake.hits('openai')).toBe(1);
  });

  it('makes the client throw when the provider fails mid-stream, never a clean end', async () => {
    fake.set('claude', { kind: 'stream-error', afterChunks: 2 });
    const stream = await client.chat.completions.create({ model: 'auto', messages, stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toBe('partial ');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(/claude failed mid-stream/);
  });

  it('answers 502 in OpenAI’s error shape when every provider fails, and the client does not retry it', async () => {
    fake.set('claude', { kind: 'status', status: 500 });
    fake.set('openai', { kind: 'status', status: 500 });
    fake.set('ollama', { kind: 'reset' });
    const error = await client.chat.completions.create({ model: 'auto', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const api = error as InstanceType<typeof OpenAI.APIError>;
    expect(api.status).toBe(502);
    expect(api.type).toBe('upstream_error');
    expect(api.code).toBe('all_providers_failed');
    expect((api.error as { provider_errors: unknown[] }).provider_errors).toHaveLength(3);
    expect(fake.hits('claude')).toBe(1);
  });

  it('answers a bad request with a 400 naming the parameter', async () => {
    const error = await client.chat.completions.create({ model: 'auto', messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    const tools = await client.chat.completions
      .create({ model: 'auto', messages, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] })
      .catch((e: unknown) => e);
    expect((tools as Error).message).toMatch(/tools are not supported/);
  });

  it('needs ai:invoke', async () => {
    const anonymous = new OpenAI({ apiKey: 'x', baseURL: `${served.url}/v1`, maxRetries: 0 });
    await expect(anonymous.chat.completions.create({ model: 'auto', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const viewer = new OpenAI({ apiKey: 'x', baseURL: `${served.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-user-roles': 'viewer' } });
    await expect(viewer.models.list()).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });
});

describe('GET /v1/models', () => {
  it('lists auto, each provider and each provider’s model', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push([model.id, model.owned_by]);
    expect(ids).toEqual([
      ['auto', 'aetherlink'],
      ['claude', 'anthropic'],
      ['claude-test', 'anthropic'],
      ['openai', 'openai'],
      ['gpt-test', 'openai'],
      ['ollama', 'ollama'],
      ['llama-test', 'ollama'],
    ]);
  });
});
