import { definedOnly } from '@aetherlink/core';
import { BUILTIN_INTENTS } from './intents.js';
import { anthropicProvider } from './providers/anthropic.js';
import { ollamaProvider } from './providers/ollama.js';
import { openaiProvider } from './providers/openai.js';
import type { AnyIntent, HedgeSettings, Provider, ProviderSettings, RouterOptions, RoutingStrategy } from './types.js';

/** One built-in provider as configuration: which wire format, where, which model, and its key. */
export interface ProviderConfig {
  vendor: 'anthropic' | 'openai' | 'ollama';
  baseUrl?: string;
  /** The key itself (read from the environment); never shown in an error, a log line or health. */
  apiKey?: string;
  model?: string;
  capabilities?: string[];
}

/**
 * The router's configuration as plain data, as `parseRouterEnv` and `descriptorConfig` produce it: checked,
 * nothing started. It holds the providers' keys, so it is not something to log.
 */
export interface RouterConfig {
  providers: Record<string, ProviderConfig>;
  order?: string[];
  defaults?: ProviderSettings;
  settings?: Record<string, ProviderSettings>;
  fallbacks?: Record<string, string[]>;
  strategy?: RoutingStrategy;
  deadlineMs?: number;
  maxAttempts?: number;
  hedge?: boolean | HedgeSettings;
  /** Per intent, a capability and a provider order over the intent's own. */
  intents?: Record<string, { capability?: string; order?: string[] }>;
}

/** What an app adds to a configuration: its shared services and its intents. */
export type RouterConfigOptions = Pick<RouterOptions, 'intents' | 'bus' | 'emitProviderUsed' | 'clock' | 'random' | 'logger'>;

/**
 * `createRouter` options from a configuration: provider clients built from it (no I/O, nothing started) and the
 * configuration's intent overrides applied to the app's intents.
 * @example const router = createRouter(routerOptionsFromConfig(parseRouterEnv(process.env), { bus, logger }))
 */
export function routerOptionsFromConfig(config: RouterConfig, options: RouterConfigOptions = {}): RouterOptions {
  const providers: Record<string, Provider> = {};
  for (const [name, p] of Object.entries(config.providers)) providers[name] = vendorProvider(p);
  return {
    ...options,
    providers,
    intents: withOverrides(options.intents ?? BUILTIN_INTENTS, config.intents),
    ...definedOnly({
      order: config.order,
      defaults: config.defaults,
      settings: config.settings,
      fallbacks: config.fallbacks,
      strategy: config.strategy,
      deadlineMs: config.deadlineMs,
      maxAttempts: config.maxAttempts,
      hedge: config.hedge,
    }),
  };
}

function withOverrides(intents: readonly AnyIntent[], overrides: RouterConfig['intents']): AnyIntent[] {
  return intents.map((intent) => {
    const override = overrides?.[intent.name];
    if (!override) return intent;
    return { ...intent, ...(override.capability ? { capability: override.capability } : {}), ...(override.order ? { order: override.order } : {}) };
  });
}

// The configuration is complete: the clients read nothing more from the environment.
function vendorProvider(p: ProviderConfig): Provider {
  const common = { env: {}, ...definedOnly({ baseUrl: p.baseUrl, model: p.model, capabilities: p.capabilities }) };
  if (p.vendor === 'anthropic') return anthropicProvider({ ...common, ...definedOnly({ apiKey: p.apiKey }) });
  if (p.vendor === 'openai') return openaiProvider({ ...common, ...definedOnly({ apiKey: p.apiKey }) });
  return ollamaProvider(common);
}
