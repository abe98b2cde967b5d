import { ProviderError } from '../errors.js';
import type { ChatRequest, ChatResponse, ChatStreamEvent, Provider, ProviderCallContext } from '../types.js';
import { joinUrl, lines, parseChunk, postJson, readJson, usageOf } from './http.js';
import { resolveVendor, type VendorProviderOptions } from './options.js';
import { redacting } from './redacting.js';

export interface OllamaProviderOptions extends VendorProviderOptions {
  /** How long Ollama keeps the model loaded after a call (`keep_alive`, e.g. `5m`). */
  keepAlive?: string;
}

/**
 * Default model when neither `model` nor `OLLAMA_MODEL` is set.
 * @example ollamaProvider({ env: {} }).model === OLLAMA_DEFAULT_MODEL
 */
export const OLLAMA_DEFAULT_MODEL = 'llama3.2';

/**
 * A client of Ollama's chat API (`POST /api/chat`, newline-delimited JSON when streaming).
 * @example const local = ollamaProvider({ baseUrl: 'http://127.0.0.1:11434', model: 'llama3.2' })
 */
export function ollamaProvider(options: OllamaProviderOptions = {}): Provider {
  const { baseUrl, model } = resolveVendor(options, { baseUrl: 'OLLAMA_BASE_URL', model: 'OLLAMA_MODEL' }, { baseUrl: 'http://127.0.0.1:11434', model: OLLAMA_DEFAULT_MODEL });
  const url = joinUrl(baseUrl, '/api/chat');

  const body = (request: ChatRequest, stream: boolean) => {
    const opts = {
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.maxTokens === undefined ? {} : { num_predict: request.maxTokens }),
      ...(request.stop?.length ? { stop: request.stop } : {}),
    };
    return {
      model: request.model ?? model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      stream,
      ...(request.json ? { format: 'json' } : {}),
      ...(Object.keys(opts).length ? { options: opts } : {}),
      ...(options.keepAlive ? { keep_alive: options.keepAlive } : {}),
    };
  };

  return redacting(
    {
      vendor: 'ollama',
      model,
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      async chat(request, context) {
        const res = await postJson(url, body(request, false), {}, context, options);
        return parseFinal(await readJson(res.body, context.signal, options.maxBodyBytes));
      },
      stream(request, context) {
        return streamChat(url, body(request, true), context, options);
      },
    },
    [],
  );
}

interface OllamaChunk {
  model?: unknown;
  message?: { content?: unknown };
  done?: unknown;
  done_reason?: unknown;
  prompt_eval_count?: unknown;
  eval_count?: unknown;
  error?: unknown;
}

function parseFinal(data: unknown): ChatResponse {
  const chunk = data as OllamaChunk;
  if (chunk?.error !== undefined) throw new ProviderError('server_error', `error answer: ${String(chunk.error)}`);
  if (typeof chunk?.message !== 'object' || chunk.message === null) throw new ProviderError('invalid_response', 'the answer has no "message"');
  const usage = usageOf(chunk.prompt_eval_count, chunk.eval_count);
  return {
    text: typeof chunk.message.content === 'string' ? chunk.message.content : '',
    ...(typeof chunk.model === 'string' ? { model: chunk.model } : {}),
    ...(usage ? { usage } : {}),
    ...(typeof chunk.done_reason === 'string' ? { finish_reason: chunk.done_reason } : {}),
  };
}

async function* streamChat(url: string, payload: unknown, context: ProviderCallContext, options: OllamaProviderOptions): AsyncGenerator<ChatStreamEvent> {
  const res = await postJson(url, payload, {}, context, options, true);
  for await (const line of lines(res.body, context.signal)) {
    if (!line.trim()) continue;
    const chunk = parseChunk(line) as OllamaChunk;
    // Ollama reports failures after the 200 as a `{"error": "…"}` line: a failure, never a clean end.
    if (chunk.error !== undefined) throw new ProviderError('stream_error', `error line mid-stream: ${String(chunk.error)}`);
    const text = chunk.message?.content;
    if (typeof text === 'string' && text) yield { type: 'delta', text };
    if (chunk.done === true) {
      const usage = usageOf(chunk.prompt_eval_count, chunk.eval_count);
      yield {
        type: 'done',
        ...(typeof chunk.model === 'string' ? { model: chunk.model } : {}),
        ...(usage ? { usage } : {}),
        ...(typeof chunk.done_reason === 'string' ? { finish_reason: chunk.done_reason } : {}),
      };
      return;
    }
  }
  throw new ProviderError('stream_error', 'the stream ended before a "done": true line');
}
