import { redacting } from './redacting.js';
import type { ChatResponse, ChatStreamEvent, Provider, ProviderCallContext, ProviderFunction, ChatRequest } from '../types.js';

export interface CustomProviderOptions {
  /** Default `custom`. */
  vendor?: string;
  model?: string;
  capabilities?: readonly string[];
  /** Streams the answer; without it the router streams the function's answer as one delta. */
  stream?: (request: ChatRequest, context: ProviderCallContext) => AsyncIterable<ChatStreamEvent>;
  /** Keys the function uses: redacted from its failures' messages, as credential-shaped text always is. */
  secrets?: readonly string[];
}

/**
 * A provider from a function: anything you can call (a test double, an in-house model, another SDK).
 * Throw `ProviderError`s to say whether a failure is worth a retry; anything else counts as `unknown`.
 * @example const echo = customProvider(async (req) => req.messages.at(-1)?.content ?? '', { capabilities: ['chat'] })
 */
export function customProvider(fn: ProviderFunction, options: CustomProviderOptions = {}): Provider {
  return redacting(
    {
      vendor: options.vendor ?? 'custom',
      ...(options.model ? { model: options.model } : {}),
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      chat(request, context): Promise<ChatResponse> {
        const answer = fn(request, context);
        return answer instanceof Promise ? answer.then(normalize) : Promise.resolve(normalize(answer));
      },
      ...(options.stream ? { stream: options.stream } : {}),
    },
    options.secrets ?? [],
  );
}

function normalize(answer: ChatResponse | string): ChatResponse {
  return typeof answer === 'string' ? { text: answer } : answer;
}
