import { classifyStatus } from '../classify.js';
import { ProviderError } from '../errors.js';
import type { ChatRequest, ChatResponse, ChatStreamEvent, Provider, ProviderCallContext } from '../types.js';
import { joinUrl, parseChunk, postJson, readJson, sseEvents, usageOf } from './http.js';
import { resolveVendor, type VendorProviderOptions } from './options.js';
import { redacting } from './redacting.js';

export interface OpenAIProviderOptions extends VendorProviderOptions {
  /** Field that carries the token limit: newer OpenAI models want `max_completion_tokens`. Default `max_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** `vendor` reported in health (`vllm`, `llamacpp`, `lmstudio`…). Default `openai`. */
  vendor?: string;
}

/**
 * Default model when neither `model` nor `OPENAI_MODEL` is set.
 * @example openaiProvider({ env: {} }).model === OPENAI_DEFAULT_MODEL
 */
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';

/**
 * A client of OpenAI-compatible Chat Completions (`POST {base}/chat/completions`, bearer key): OpenAI, vLLM,
 * llama.cpp server, LM Studio. The base URL includes the version path, as the `openai` client's does;
 * a bare origin gets `/v1`.
 * @example const local = openaiProvider({ baseUrl: 'http://127.0.0.1:8000/v1', model: 'qwen2.5-7b-instruct', vendor: 'vllm' })
 */
export function openaiProvider(options: OpenAIProviderOptions = {}): Provider {
  const { baseUrl, apiKey, model } = resolveVendor(
    options,
    { baseUrl: 'OPENAI_BASE_URL', apiKey: 'OPENAI_API_KEY', model: 'OPENAI_MODEL' },
    { baseUrl: 'https://api.openai.com/v1', model: OPENAI_DEFAULT_MODEL },
  );
  const url = joinUrl(withVersion(baseUrl), '/chat/completions');
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const tokensField = options.maxTokensField ?? 'max_tokens';

  const body = (request: ChatRequest, stream: boolean) => ({
    model: request.model ?? model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(request.maxTokens === undefined ? {} : { [tokensField]: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stop?.length ? { stop: request.stop } : {}),
    ...(request.json ? { response_format: { type: 'json_object' } } : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });

  return redacting(
    {
      vendor: options.vendor ?? 'openai',
      model,
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      async chat(request, context) {
        const res = await postJson(url, body(request, false), headers, context, options);
        return parseCompletion(await readJson(res.body, context.signal, options.maxBodyBytes));
      },
      stream(request, context) {
        return streamCompletion(url, body(request, true), headers, context, options);
      },
    },
    [apiKey],
  );
}

function withVersion(baseUrl: string): string {
  const url = new URL(baseUrl);
  return url.pathname === '/' || url.pathname === '' ? joinUrl(baseUrl, '/v1') : baseUrl;
}

function parseCompletion(data: unknown): ChatResponse {
  const body = data as { choices?: unknown; model?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown }; error?: unknown };
  if (body?.error) throw chunkError(body as Record<string, unknown>, false);
  const choice = Array.isArray(body?.choices) ? (body.choices[0] as { message?: { content?: unknown }; finish_reason?: unknown } | undefined) : undefined;
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new ProviderError('invalid_response', 'the answer has no choices[0].message');
  }
  const content = choice.message.content;
  const usage = usageOf(body.usage?.prompt_tokens, body.usage?.completion_tokens);
  return {
    text: typeof content === 'string' ? content : '',
    ...(typeof body.model === 'string' ? { model: body.model } : {}),
    ...(usage ? { usage } : {}),
    ...(typeof choice.finish_reason === 'string' ? { finish_reason: choice.finish_reason } : {}),
  };
}

// Compatible servers put failures that happen after the 200 into the stream as `{"error": …}`.
function chunkError(data: Record<string, unknown>, midStream: boolean): ProviderError {
  const failure = classifyStatus(500, JSON.stringify({ error: data.error }), {}, 0);
  const kind = failure.kind === 'server_error' ? 'stream_error' : failure.kind;
  return new ProviderError(kind, `${midStream ? 'error chunk mid-stream' : 'error answer'}: ${failure.message.replace(/^500:?\s*/, '')}`);
}

async function* streamCompletion(
  url: string,
  payload: unknown,
  headers: Record<string, string>,
  context: ProviderCallContext,
  options: OpenAIProviderOptions,
): AsyncGenerator<ChatStreamEvent> {
  const res = await postJson(url, payload, headers, context, options, true);
  let model: string | undefined;
  let finish: string | undefined;
  let usage: ReturnType<typeof usageOf>;
  const done = (): ChatStreamEvent => ({ type: 'done', ...(model ? { model } : {}), ...(usage ? { usage } : {}), ...(finish ? { finish_reason: finish } : {}) });
  for await (const event of sseEvents(res.body, context.signal)) {
    if (event.data === '[DONE]') {
      yield done();
      return;
    }
    const data = parseChunk(event.data);
    if (event.event === 'error' || data.error) throw chunkError(event.event === 'error' && !data.error ? { error: data } : data, true);
    if (typeof data.model === 'string') model = data.model;
    const u = data.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
    if (u) usage = usageOf(u.prompt_tokens, u.completion_tokens) ?? usage;
    const choice = Array.isArray(data.choices) ? (data.choices[0] as { delta?: { content?: unknown }; finish_reason?: unknown } | undefined) : undefined;
    const text = choice?.delta?.content;
    if (typeof text === 'string' && text) yield { type: 'delta', text };
    if (typeof choice?.finish_reason === 'string') finish = choice.finish_reason;
  }
  // Some compatible servers omit [DONE]; a stream that reported why it finished did end cleanly.
  if (finish) {
    yield done();
    return;
  }
  throw new ProviderError('stream_error', 'the stream ended before [DONE]');
}
