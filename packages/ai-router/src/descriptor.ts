import { readFileSync } from 'node:fs';
import { AetherError, definedOnly, fieldErrorsFromZod, type FieldError } from '@aetherlink/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BUILTIN_INTENTS } from './intents.js';
import { routerOptionsFromConfig, type ProviderConfig, type RouterConfig, type RouterConfigOptions } from './router-config.js';
import { createRouter } from './router.js';
import { descriptorSchema, type Descriptor, type DescriptorProvider } from './schemas.js';
import type { AnyIntent, BreakerSettings, HedgeSettings, ProviderSettings, Router } from './types.js';

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
 * Reads and parses a descriptor file (through `readFile`, so a caller can keep it pure).
 * @example const descriptor = loadDescriptor('config/ai-providers.yaml')
 */
export function loadDescriptor(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Descriptor {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new AetherError('config_invalid', `cannot read the AI providers descriptor at ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return parseDescriptor(text, path);
}

export interface DescriptorConfigOptions {
  /** Where keys (`api_key_env`) and unset base URLs and models come from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides `fallback_order` (e.g. from `PROVIDER_ORDER`). */
  order?: readonly string[];
  /** Intents the descriptor's `intents` section may change. Default: built-in. */
  intents?: readonly AnyIntent[];
}

export type DescriptorRouterOptions = DescriptorConfigOptions & RouterConfigOptions;

// The vendor's own variables fill what a descriptor entry leaves out; keys come only from the environment.
const VENDOR_VARIABLES = {
  anthropic: { baseUrl: 'ANTHROPIC_BASE_URL', apiKey: 'ANTHROPIC_API_KEY', model: 'ANTHROPIC_MODEL' },
  openai: { baseUrl: 'OPENAI_BASE_URL', apiKey: 'OPENAI_API_KEY', model: 'OPENAI_MODEL' },
  ollama: { baseUrl: 'OLLAMA_BASE_URL', apiKey: undefined, model: 'OLLAMA_MODEL' },
} as const;
const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * A parsed descriptor as a router configuration, checked and with nothing started: explicit descriptor values
 * win, the vendor's variables (`ANTHROPIC_BASE_URL`, `OPENAI_MODEL`, …) fill what it leaves out, and keys come
 * only from the environment. Every problem is named in one `config_invalid` error; a key's value never is.
 * @example const config = descriptorConfig(loadDescriptor('config/ai-providers.yaml'), { env: process.env })
 */
export function descriptorConfig(descriptor: Descriptor, options: DescriptorConfigOptions = {}): RouterConfig {
  const env = options.env ?? process.env;
  const problems: FieldError[] = [];
  const providers: Record<string, ProviderConfig> = {};
  const settings: Record<string, ProviderSettings> = {};
  const fallbacks: Record<string, string[]> = {};
  for (const [name, p] of Object.entries(descriptor.providers)) {
    const vars = VENDOR_VARIABLES[p.vendor];
    const keyVariable = p.api_key_env ?? vars.apiKey;
    if (p.api_key_env && !nonEmpty(env[p.api_key_env])) problems.push({ field: `providers.${name}.api_key_env`, message: `names ${p.api_key_env}, which is not set`, in: 'env' });
    const baseUrl = p.base_url ?? nonEmpty(env[vars.baseUrl]);
    if (!p.base_url && baseUrl !== undefined && !httpUrl.safeParse(baseUrl).success) {
      problems.push({ field: `providers.${name}.base_url`, message: `${vars.baseUrl}: must be an http(s) URL`, in: 'env' });
    }
    const apiKey = keyVariable && p.vendor !== 'ollama' ? nonEmpty(env[keyVariable]) : undefined;
    providers[name] = { vendor: p.vendor, ...definedOnly({ baseUrl, apiKey, model: p.model ?? nonEmpty(env[vars.model]), capabilities: p.capabilities }) };
    settings[name] = toSettings(p);
    if (p.fallbacks) fallbacks[name] = p.fallbacks;
  }
  const known = new Set(Object.keys(descriptor.providers));
  const intents = options.intents ?? BUILTIN_INTENTS;
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
  const order = options.order ?? descriptor.fallback_order;
  return {
    providers,
    settings,
    fallbacks,
    ...definedOnly({
      intents: descriptor.intents as RouterConfig['intents'],
      defaults: descriptor.defaults ? toSettings(descriptor.defaults) : undefined,
      order: order ? [...order] : undefined,
      strategy: descriptor.strategy,
      deadlineMs: descriptor.deadline_ms,
      maxAttempts: descriptor.max_attempts,
      hedge: hedge === undefined ? undefined : typeof hedge === 'boolean' ? hedge : toHedge(hedge),
    }),
  };
}

/**
 * Builds a router from a parsed descriptor: `descriptorConfig`, then `createRouter`.
 * @example const router = routerFromDescriptor(loadDescriptor('config/ai-providers.yaml'), { bus })
 */
export function routerFromDescriptor(descriptor: Descriptor, options: DescriptorRouterOptions = {}): Router {
  const { env, order, ...rest } = options;
  return createRouter(routerOptionsFromConfig(descriptorConfig(descriptor, definedOnly({ env, order, intents: rest.intents })), rest));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

type SettingsYaml = Partial<Pick<DescriptorProvider, 'timeout_ms' | 'first_token_timeout_ms' | 'idle_timeout_ms' | 'retries' | 'retry_delay_ms' | 'max_retry_delay_ms' | 'quota_cooldown_ms' | 'max_cooldown_ms' | 'breaker' | 'weight' | 'tier'>>;

function toSettings(s: SettingsYaml): ProviderSettings {
  const b = s.breaker;
  const breaker: BreakerSettings | undefined = b
    ? definedOnly({
        errorThresholdPercentage: b.error_threshold_percentage,
        volumeThreshold: b.volume_threshold,
        rollingWindowMs: b.rolling_window_ms,
        rollingBuckets: b.rolling_buckets,
        resetTimeoutMs: b.reset_timeout_ms,
      })
    : undefined;
  return definedOnly({
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
  return definedOnly({ afterMs: h.after_ms, minSamples: h.min_samples, minDelayMs: h.min_delay_ms });
}
