import { redactError } from '../redact.js';
import type { ChatStreamEvent, Provider } from '../types.js';

const REDACTING = Symbol.for('aetherlink.ai-router.redacting');

/**
 * The provider with every failure's message redacted (the keys it was given, and anything shaped like a
 * credential) where upstream text enters the router: health, errors, events and logs only ever see the
 * redacted text. The built-in clients wrap themselves with their key; the router wraps any other provider.
 * @example return redacting({ vendor: 'openai', chat, stream }, [apiKey])
 */
export function redacting(provider: Provider, secrets: readonly (string | undefined)[]): Provider {
  if (isRedacting(provider) && secrets.length === 0) return provider;
  const rethrow = (error: unknown): never => {
    throw redactError(error, secrets);
  };
  const { stream } = provider;
  const wrapped: Provider & { [REDACTING]: true } = {
    [REDACTING]: true,
    vendor: provider.vendor,
    ...(provider.model === undefined ? {} : { model: provider.model }),
    ...(provider.capabilities === undefined ? {} : { capabilities: provider.capabilities }),
    chat(request, context) {
      try {
        return provider.chat(request, context).catch(rethrow);
      } catch (error) {
        return Promise.reject(redactError(error, secrets) as Error);
      }
    },
    ...(stream ? { stream: (request, context) => redactedStream(stream.call(provider, request, context), rethrow) } : {}),
  };
  return wrapped;
}

/**
 * Whether a provider already redacts its failures (built-in clients, `customProvider`).
 * @example if (!isRedacting(p)) p = redacting(p, [])
 */
export function isRedacting(provider: Provider): boolean {
  return (provider as { [REDACTING]?: unknown })[REDACTING] === true;
}

async function* redactedStream(source: AsyncIterable<ChatStreamEvent>, rethrow: (error: unknown) => never): AsyncGenerator<ChatStreamEvent> {
  try {
    yield* source;
  } catch (error) {
    rethrow(error);
  }
}
