import { anthropicProvider } from '../providers/anthropic.js';
import { ollamaProvider } from '../providers/ollama.js';
import { openaiProvider } from '../providers/openai.js';
import type { Provider } from '../types.js';
import type { FakeLlmServer } from './fake-llm-server.js';

export type FakeProviderName = 'claude' | 'openai' | 'ollama';

/**
 * The built-in providers, each on its own lane of a fake server (the lane is named after the provider), so a
 * test can tell each lane how to answer.
 * @example createRouter({ providers: fakeProviders(fake, ['claude', 'openai']) })
 */
export function fakeProviders(fake: FakeLlmServer, names: readonly FakeProviderName[] = ['claude', 'openai', 'ollama']): Record<string, Provider> {
  const make: Record<FakeProviderName, () => Provider> = {
    claude: () => anthropicProvider({ baseUrl: fake.baseUrl('claude', 'anthropic'), apiKey: 'k', model: 'claude-test', env: {} }),
    openai: () => openaiProvider({ baseUrl: fake.baseUrl('openai', 'openai'), apiKey: 'k', model: 'gpt-test', env: {} }),
    ollama: () => ollamaProvider({ baseUrl: fake.baseUrl('ollama', 'ollama'), model: 'llama-test', env: {} }),
  };
  return Object.fromEntries(names.map((name) => [name, make[name]()]));
}
