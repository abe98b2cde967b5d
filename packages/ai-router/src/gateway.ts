import { isAetherError, reply, statusForCode, type HttpResult } from '@aetherlink/core';
import type { ChatCompletionRequest } from './schemas.js';
import type { AllFailedDetails, ChatRequest, ProviderInfo, RouteResult, Usage } from './types.js';

/** OpenAI's error body: what the official `openai` client turns into an `APIError`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null; [extra: string]: unknown };
}

/**
 * An OpenAI Chat Completions request → the router's vendor-neutral request.
 * @example toChatRequest({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] })
 */
export function toChatRequest(body: ChatCompletionRequest): ChatRequest {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    messages: body.messages.map((m) => ({
      role: m.role === 'developer' ? 'system' : m.role,
      content: typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('') : '',
    })),
    ...(maxTokens == null ? {} : { maxTokens }),
    ...(body.temperature == null ? {} : { temperature: body.temperature }),
    ...(body.top_p == null ? {} : { topP: body.top_p }),
    ...(stop?.length ? { stop } : {}),
    ...(body.response_format && body.response_format.type !== 'text' ? { json: true } : {}),
  };
}

/**
 * The provider a requested `model` names — by provider name or by its model id; undefined means "use the chain".
 * @example preferredProvider('claude', router.providers()) // 'claude'
 */
export function preferredProvider(model: string, providers: readonly ProviderInfo[]): string | undefined {
  return providers.find((p) => p.name === model)?.name ?? providers.find((p) => p.model === model)?.name;
}

/**
 * OpenAI's finish reasons from the vendors' own.
 * @example finishReason('end_turn') // 'stop'
 */
export function finishReason(reason: string | undefined): 'stop' | 'length' | 'content_filter' {
  if (reason === 'max_tokens' || reason === 'length') return 'length';
  if (reason === 'content_filter' || reason === 'refusal') return 'content_filter';
  return 'stop';
}

/**
 * OpenAI usage from the router's.
 * @example openAIUsage({ input_tokens: 3, output_tokens: 5, total_tokens: 8 })
 */
export function openAIUsage(usage: Usage | undefined): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: usage?.input_tokens ?? 0, completion_tokens: usage?.output_tokens ?? 0, total_tokens: usage?.total_tokens ?? 0 };
}

/**
 * A `chat.completion` object from a routed chat.
 * @example toCompletion(result, 'chatcmpl-1', 1767225600)
 */
export function toCompletion(result: RouteResult<string>, id: string, created: number): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created,
    model: result.model ?? result.used_provider,
    choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: finishReason(result.finish_reason) }],
    usage: openAIUsage(result.usage),
    system_fingerprint: null,
  };
}

/**
 * One `chat.completion.chunk`.
 * @example toChunk('chatcmpl-1', 1767225600, 'gpt-4o-mini', { content: 'Hel' }, null)
 */
export function toChunk(
  id: string,
  created: number,
  model: string,
  delta: { role?: 'assistant'; content?: string },
  finish: string | null,
  usage?: Usage,
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: usage && finish === null && !delta.content && !delta.role ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage: openAIUsage(usage) } : {}),
  };
}

/**
 * OpenAI's model list: `auto` (the configured chain), each provider by name, and each provider's model id.
 * @example listModels(router.providers(), 1767225600)
 */
export function listModels(providers: readonly ProviderInfo[], created: number): { object: 'list'; data: { id: string; object: 'model'; created: number; owned_by: string }[] } {
  const data = [{ id: 'auto', object: 'model' as const, created, owned_by: 'aetherlink' }];
  const seen = new Set(['auto']);
  for (const p of providers) {
    for (const id of [p.name, p.model]) {
      if (!id || seen.has(id)) continue;
      seen.add(id);
      data.push({ id, object: 'model', created, owned_by: p.vendor });
    }
  }
  return { object: 'list', data };
}

/**
 * An OpenAI-shaped error body.
 * @example openAIError('messages: must hold at least one message', 'invalid_request_error', 'invalid_value', 'messages')
 */
export function openAIError(message: string, type: string, code: string | null, param: string | null = null, extra: Record<string, unknown> = {}): OpenAIErrorBody {
  return { error: { message, type, code, param, ...extra } };
}

// The OpenAI error type for each code the gateway answers itself; the status comes from core's one table.
const OPENAI_TYPE: Record<string, string> = {
  validation_failed: 'invalid_request_error',
  bad_request: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  timeout: 'timeout_error',
  unavailable: 'service_unavailable',
};

/**
 * An error of the router as an OpenAI-shaped answer. Every provider failing is a 502 with each provider's
 * error, and `x-should-retry: false`: the router already retried and failed over, so the client should not.
 * Errors that are not the router's are returned as undefined, for the adapter to answer (and log).
 * @example catch (e) { const r = gatewayError(e); if (r) return r; throw e }
 */
export function gatewayError(error: unknown): HttpResult | undefined {
  if (!isAetherError(error)) return undefined;
  if (error.code === 'upstream_failed') {
    const details = (error.details ?? {}) as Partial<AllFailedDetails> & { retry_after_seconds?: number };
    const headers: Record<string, string> = { 'x-should-retry': 'false' };
    if (typeof details.retry_after_seconds === 'number') headers['retry-after'] = String(details.retry_after_seconds);
    return reply(502, openAIError(error.message, 'upstream_error', 'all_providers_failed', null, { provider_errors: details.provider_errors ?? [] }), headers);
  }
  const type = OPENAI_TYPE[error.code];
  if (!type) return undefined;
  const field = error.errors?.[0]?.field ?? null;
  return reply(statusForCode(error.code), openAIError(error.message, type, error.code, field));
}
