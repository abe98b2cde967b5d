import { redactError } from '../redact.js';
import type { ChatStreamEvent, Provider } from '../types.js';

/**
 * The provider with every failure's message redacted (its own key, and anything shaped like a credential) where
 * upstream text enters the router: health, errors, events and logs then only ever see the redacted text.
 * @example return redacting({ vendor: 'openai', chat, stream }, [apiKey])
 */
export function redacting(provider: Provider, secrets: readonly (string | undefined)[]): Provider {
  const rethrow = (error: unknown): never => {
    throw redactError(error, secrets);
  };
  const { stream } = provider;
  return {
    ...provider,
    chat(request, context) {
      try {
        return provider.chat(request, context).catch(rethrow);
      } catch (error) {
        return Promise.reject(redactError(error, secrets) as Error);
      }
    },
    ...(stream ? { stream: (request, context) => redactedStream(stream.call(provider, request, context), rethrow) } : {}),
  };
}

async function* redactedStream(source: AsyncIterable<ChatStreamEvent>, rethrow: (error: unknown) => never): AsyncGenerator<ChatStreamEvent> {
  try {
    yield* source;
  } catch (error) {
    rethrow(error);
  }
}
