import { ProviderError } from '../errors.js';
import type { ChatMessage, ChatRequest, ChatResponse, ChatStreamEvent, Provider, ProviderCallContext, Usage } from '../types.js';
import { joinUrl, num, parseChunk, postJson, readJson, sseEvents, usageOf } from './http.js';
import { resolveVendor, type VendorProviderOptions } from './options.js';
import { redacting } from './redacting.js';

export interface AnthropicProviderOptions extends VendorProviderOptions {
  /** `anthropic-version` header. Default `2023-06-01`. */
  version?: string;
  /** `max_tokens` when a request sets none (Anthropic requires it). Default 1024. */
  maxTokens?: number;
}

/**
 * Default model when neither `model` nor `ANTHROPIC_MODEL` is set.
 * @example anthropicProvider({ env: {} }).model === ANTHROPIC_DEFAULT_MODEL
 */
export const ANTHROPIC_DEFAULT_MODEL = 'claude-sonnet-4-5';
const JSON_RULE = 'Answer with one JSON object and nothing else: no prose, no code fences.';

/**
 * A client of the Anthropic Messages API (`POST /v1/messages`, `x-api-key`, `anthropic-version`).
 * @example const claude = anthropicProvider({ apiKey: process.env.ANTHROPIC_API_KEY, model: 'claude-sonnet-4-5' })
 */
export function anthropicProvider(options: AnthropicProviderOptions = {}): Provider {
  const { baseUrl, apiKey, model } = resolveVendor(
    options,
    { baseUrl: 'ANTHROPIC_BASE_URL', apiKey: 'ANTHROPIC_API_KEY', model: 'ANTHROPIC_MODEL' },
    { baseUrl: 'https://api.anthropic.com', model: ANTHROPIC_DEFAULT_MODEL },
  );
  const url = joinUrl(baseUrl, '/v1/messages');
  const headers: Record<string, string> = { 'anthropic-version': options.version ?? '2023-06-01', ...(apiKey ? { 'x-api-key': apiKey } : {}) };
  const maxTokens = options.maxTokens ?? 1024;

  const body = (request: ChatRequest, stream: boolean) => {
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
    if (request.json) system.push(JSON_RULE);
    return {
      model: request.model ?? model,
      max_tokens: request.maxTokens ?? maxTokens,
      ...(system.length ? { system: system.join('\n\n') } : {}),
      messages: alternate(request.messages),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.stop?.length ? { stop_sequences: request.stop } : {}),
      ...(stream ? { stream: true } : {}),
    };
  };

  return redacting(
    {
      vendor: 'anthropic',
      model,
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      async chat(request, context) {
        const res = await postJson(url, body(request, false), headers, context, options);
        return parseMessage(await readJson(res.body, context.signal, options.maxBodyBytes));
      },
      stream(request, context) {
        return streamMessages(url, body(request, true), headers, context, options);
      },
    },
    [apiKey],
  );
}

// The Messages API wants user/assistant turns that alternate and start with the user.
function alternate(messages: readonly ChatMessage[]): { role: 'user' | 'assistant'; content: string }[] {
  const out: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else out.push({ role: m.role, content: m.content });
  }
  if (out[0]?.role !== 'user') out.unshift({ role: 'user', content: '(continue)' });
  return out;
}

function parseMessage(data: unknown): ChatResponse {
  const msg = data as { type?: unknown; content?: unknown; model?: unknown; stop_reason?: unknown; usage?: { input_tokens?: unknown; output_tokens?: unknown }; error?: unknown };
  if (msg?.type === 'error') throw errorEvent(msg as Record<string, unknown>, false);
  if (!Array.isArray(msg?.content)) throw new ProviderError('invalid_response', 'the answer has no "content" array');
  const text = (msg.content as { type?: unknown; text?: unknown }[])
    .filter((b) => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('');
  const usage = usageOf(msg.usage?.input_tokens, msg.usage?.output_tokens);
  return {
    text,
    ...(typeof msg.model === 'string' ? { model: msg.model } : {}),
    ...(usage ? { usage } : {}),
    ...(typeof msg.stop_reason === 'string' ? { finish_reason: msg.stop_reason } : {}),
  };
}

const KIND_BY_TYPE: Record<string, 'overloaded' | 'rate_limited' | 'server_error' | 'stream_error'> = {
  overloaded_error: 'overloaded',
  rate_limit_error: 'rate_limited',
  api_error: 'server_error',
};

// An `error` event after a 200 is a real failure of the answer, never a clean end.
function errorEvent(data: Record<string, unknown>, midStream: boolean): ProviderError {
  const error = (data.error ?? {}) as { type?: unknown; message?: unknown };
  const type = typeof error.type === 'string' ? error.type : 'error';
  const message = typeof error.message === 'string' ? error.message : 'unknown error';
  return new ProviderError(KIND_BY_TYPE[type] ?? 'stream_error', `${midStream ? 'error event mid-stream' : 'error answer'}: ${type}: ${message}`);
}

async function* streamMessages(
  url: string,
  payload: unknown,
  headers: Record<string, string>,
  context: ProviderCallContext,
  options: AnthropicProviderOptions,
): AsyncGenerator<ChatStreamEvent> {
  const res = await postJson(url, payload, headers, context, options, true);
  let model: string | undefined;
  let input: number | undefined;
  let output: number | undefined;
  let finish: string | undefined;
  for await (const event of sseEvents(res.body, context.signal)) {
    const type = event.event;
    if (type === 'ping') continue;
    const data = parseChunk(event.data);
    const kind = type ?? (typeof data.type === 'string' ? data.type : undefined);
    if (kind === 'error') throw errorEvent(data, true);
    if (kind === 'message_start') {
      const message = (data.message ?? {}) as { model?: unknown; usage?: { input_tokens?: unknown; output_tokens?: unknown } };
      if (typeof message.model === 'string') model = message.model;
      input = num(message.usage?.input_tokens) ?? input;
      output = num(message.usage?.output_tokens) ?? output;
    } else if (kind === 'content_block_delta') {
      const delta = (data.delta ?? {}) as { type?: unknown; text?: unknown };
      if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text) yield { type: 'delta', text: delta.text };
    } else if (kind === 'message_delta') {
      const delta = (data.delta ?? {}) as { stop_reason?: unknown };
      if (typeof delta.stop_reason === 'string') finish = delta.stop_reason;
      const usage = (data.usage ?? {}) as { input_tokens?: unknown; output_tokens?: unknown };
      output = num(usage.output_tokens) ?? output;
      input = num(usage.input_tokens) ?? input;
    } else if (kind === 'message_stop') {
      const usage: Usage | undefined = usageOf(input, output);
      yield { type: 'done', ...(model ? { model } : {}), ...(usage ? { usage } : {}), ...(finish ? { finish_reason: finish } : {}) };
      return;
    }
  }
  throw new ProviderError('stream_error', 'the stream ended before message_stop');
}
