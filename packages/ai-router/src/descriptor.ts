import { readFileSync } from 'node:fs';
import { AetherError, fieldErrorsFromZod, type Clock, type EventBus, type FieldError } from '@aetherlink/core';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_INTENTS } from './intents.js';
import { anthropicProvider } from './providers/anthropic.js';
import { ollamaProvider } from './providers/ollama.js';
import { openaiProvider } from './providers/openai.js';
import { createRouter } from './router.js';
import { descriptorSchema, type Descriptor, type DescriptorProvider } from './schemas.js';
import type { AnyIntent, BreakerSettings, HedgeSettings, Provider, ProviderSettings, Router } from './types.js';

/**
 * Parses the YAML descriptor (the seed's `config/ai-providers.yaml`); every problem is named by its path.
 * @example const descriptor = parseDescriptor(readFileSync('config/ai-providers.yaml', 'utf8'))
 */
export function parseDescriptor(text: string, source = 'the AI providers descriptor'): Descriptor {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new AetherError('config_invalid', `${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const parsed = descriptorSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const errors = fieldErrorsFromZod(parsed.error);
  throw new AetherError('config_invalid', `${source} is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}

/**
 * Reads and parses a descriptor file.
 * @example const descriptor = loadDescriptor('config/ai-providers.yaml')
 */
export function loadDescriptor(path: string): Descriptor {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AetherError('config_invalid', `cannot read the AI providers descriptor at ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return parseDescriptor(text, path);
}

export interface DescriptorRouterOptions {
  /** Where keys (`api_key_env`) and unset base URLs and models come from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides `fallback_order` (e.g. from `PROVIDER_ORDER`). */
  order?: readonly string[];
  /** Intents to serve; the descriptor's `intents` section may change their capability and order. Default: built-in. */
  intents?: readonly AnyIntent[];
  bus?: EventBus;
  clock?: Clock;
  random?: () => number;
  onError?: (error: unknown) => void;
}

const KEY_VARIABLE = { anthropic: 'ANTHROPIC_API_KEY', openai: 'OPENAI_API_KEY', ollama: undefined } as const;

/**
 * Builds a router from a parsed descriptor. Explicit descriptor values win; the vendor's variables
 * (`ANTHROPIC_BASE_URL`, `OPENAI_MODEL`, …) fill what it leaves out. Keys come only from the environment.
 * @example const router = routerFromDescriptor(loadDescriptor('config/ai-providers.yaml'), { bus })
 */
export function routerFromDescriptor(descriptor: Descriptor, options: DescriptorRouterOptions = {}): Router {
  const env = options.env ?? process.env;
  const problems: FieldError[] = [];
  const providers: Record<string, Provider> = {};
  const settings: Record<string, ProviderSettings> = {};
  const fallbacks: Record<string, string[]> = {};
  for (const [name, p] of Object.entries(descriptor.providers)) {
    const keyVariable = p.api_key_env ?? KEY_VARIABLE[p.vendor];
    if (p.api_key_env && !env[p.api_key_env]) problems.push({ field: `providers.${name}.api_key_env`, message: `names ${p.api_key_env}, which is not set`, in: 'env' });
    try {
      providers[name] = vendorProvider(p, keyVariable ? env[keyVariable] : undefined, env);
    } catch (error) {
      problems.push({ field: `providers.${name}.base_url`, message: (error as Error).message });
    }
    settings[name] = toSettings(p);
    if (p.fallbacks) fallbacks[name] = p.fallbacks;
  }
  const known = new Set(Object.keys(descriptor.providers));
  const intents = (options.intents ?? BUILTIN_INTENTS).map((intent) => {
    const override = descriptor.intents?.[intent.name];
    return override ? { ...intent, ...(override.capability ? { capability: override.capability } : {}), ...(override.order ? { order: override.order } : {}) } : intent;
  });
  for (const name of Object.keys(descriptor.intents ?? {})) {
    if (!intents.some((i) => i.name === name)) problems.push({ field: `intents.${name}`, message: `no intent is named "${name}"` });
  }
  for (const name of options.order ?? []) {
    if (!known.has(name)) problems.push({ field: 'order', message: `unknown provider "${name}"; the descriptor names ${[...known].join(', ')}` });
  }
  if (problems.length) {
    throw new AetherError('config_invalid', `the AI providers descriptor is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { errors: problems });
  }
  const hedge = descriptor.hedge;
  return createRouter({
    providers,
    settings,
    fallbacks,
    intents,
    ...(descriptor.defaults ? { defaults: toSettings(descriptor.defaults) } : {}),
    ...(options.order ?? descriptor.fallback_order ? { order: options.order ?? descriptor.fallback_order } : {}),
    ...(descriptor.strategy ? { strategy: descriptor.strategy } : {}),
    ...(descriptor.deadline_ms ? { deadlineMs: descriptor.deadline_ms } : {}),
    ...(descriptor.max_attempts ? { maxAttempts: descriptor.max_attempts } : {}),
    ...(hedge === undefined ? {} : { hedge: typeof hedge === 'boolean' ? hedge : toHedge(hedge) }),
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

function vendorProvider(p: DescriptorProvider, apiKey: string | undefined, env: Readonly<Record<string, string | undefined>>): Provider {
  const common = {
    env,
    ...(p.base_url ? { baseUrl: p.base_url } : {}),
    ...(p.model ? { model: p.model } : {}),
    ...(p.capabilities ? { capabilities: p.capabilities } : {}),
  };
  if (p.vendor === 'anthropic') return anthropicProvider({ ...common, ...(apiKey ? { apiKey } : {}) });
  if (p.vendor === 'openai') return openaiProvider({ ...common, ...(apiKey ? { apiKey } : {}) });
  return ollamaProvider(common);
}

type SettingsYaml = Partial<Pick<DescriptorProvider, 'timeout_ms' | 'first_token_timeout_ms' | 'idle_timeout_ms' | 'retries' | 'retry_delay_ms' | 'max_retry_delay_ms' | 'quota_cooldown_ms' | 'max_cooldown_ms' | 'breaker' | 'weight' | 'tier'>>;

function toSettings(s: SettingsYaml): ProviderSettings {
  const b = s.breaker;
  const breaker: BreakerSettings | undefined = b
    ? strip({
        errorThresholdPercentage: b.error_threshold_percentage,
        volumeThreshold: b.volume_threshold,
        rollingWindowMs: b.rolling_window_ms,
        rollingBuckets: b.rolling_buckets,
        resetTimeoutMs: b.reset_timeout_ms,
      })
    : undefined;
  return strip({
    timeoutMs: s.timeout_ms,
    firstTokenTimeoutMs: s.first_token_timeout_ms,
    idleTimeoutMs: s.idle_timeout_ms,
    retries: s.retries,
    retryDelayMs: s.retry_delay_ms,
    maxRetryDelayMs: s.max_retry_delay_ms,
    quotaCooldownMs: s.quota_cooldown_ms,
    maxCooldownMs: s.max_cooldown_ms,
    weight: s.weight,
    tier: s.tier,
    breaker,
  });
}

function toHedge(h: { after_ms?: number | undefined; min_samples?: number | undefined; min_delay_ms?: number | undefined }): HedgeSettings {
  return strip({ afterMs: h.after_ms, minSamples: h.min_samples, minDelayMs: h.min_delay_ms });
}

function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
