import { AetherError, fieldErrorsFromZod, type FieldError } from '@aetherlink/core';
import type { ResolvedSettings } from './_internal/entry.js';
import { BUILTIN_INTENTS } from './intents.js';
import { buildChain, findFallbackProblems } from './plan.js';
import { customProvider } from './providers/custom.js';
import { redacting } from './providers/redacting.js';
import { hedgeSettingsSchema, providerSettingsSchema } from './schemas.js';
import type { AnyIntent, HedgeSettings, Provider, ProviderSettings, RouterOptions } from './types.js';

/** Built-in defaults, under `defaults` and per-provider `settings`. */
const DEFAULT_SETTINGS: ResolvedSettings = {
  timeoutMs: 30_000,
  firstTokenTimeoutMs: 15_000,
  idleTimeoutMs: 20_000,
  retries: 1,
  retryDelayMs: 250,
  maxRetryDelayMs: 5_000,
  quotaCooldownMs: 3_600_000,
  maxCooldownMs: 300_000,
  breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 10_000, rollingBuckets: 10, resetTimeoutMs: 30_000 },
  weight: 1,
  tier: undefined,
};

/** The router's options checked and resolved: what `createRouter` builds its engine from. */
export interface ResolvedRouterOptions {
  /** Provider names in the order of `providers`. */
  names: string[];
  providers: Map<string, { provider: Provider; settings: ResolvedSettings }>;
  /** The configured chain (order with fallbacks expanded). */
  chain: string[];
  fallbacks: Readonly<Record<string, readonly string[]>>;
  intents: Map<string, AnyIntent>;
  intentChains: Map<string, string[]>;
  maxAttempts: number;
  deadlineMs: number;
  hedge: HedgeSettings | false;
}

/**
 * Checks and resolves router options without starting anything (no breakers, no timers): every problem is
 * named in one `config_invalid` error, so a configuration can be checked before anything is opened.
 * @example const resolved = resolveRouterOptions({ providers: { local: ollamaProvider() } })
 */
export function resolveRouterOptions(options: RouterOptions): ResolvedRouterOptions {
  const problems: FieldError[] = [];
  const names = Object.keys(options.providers ?? {});
  if (names.length === 0) problems.push({ field: 'providers', message: 'must name at least one provider' });
  const known = new Set(names);

  const defaults = checkSettings(options.defaults, 'defaults', problems);
  for (const name of Object.keys(options.settings ?? {})) {
    if (!known.has(name)) problems.push({ field: `settings.${name}`, message: `no provider is named "${name}"` });
  }
  const fallbacks = options.fallbacks ?? {};
  problems.push(...findFallbackProblems(fallbacks, known));
  const maxAttempts = options.maxAttempts ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) problems.push({ field: 'maxAttempts', message: 'must be a whole number of at least 1' });
  const deadlineMs = options.deadlineMs ?? 60_000;
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1) problems.push({ field: 'deadlineMs', message: 'must be a whole number of milliseconds, at least 1' });
  const hedge = resolveHedge(options.hedge, 'hedge', problems);

  const providers = new Map<string, { provider: Provider; settings: ResolvedSettings }>();
  for (const name of names) {
    const raw = options.providers[name];
    if (typeof raw !== 'function' && (!raw || typeof raw.chat !== 'function')) {
      problems.push({ field: `providers.${name}`, message: 'must be a provider (with chat()) or a function' });
      continue;
    }
    // Failures reach health, errors, events and logs only redacted, whoever wrote the provider.
    const provider = typeof raw === 'function' ? customProvider(raw) : redacting(raw, []);
    const own = checkSettings(options.settings?.[name], `settings.${name}`, problems);
    providers.set(name, { provider, settings: merge(defaults, own) });
  }

  const built = buildChain(options.order ?? names, fallbacks, known, 'order');
  problems.push(...built.problems);
  if (built.chain.length > maxAttempts) problems.push({ field: 'order', message: `its chain has ${built.chain.length} providers but maxAttempts is ${maxAttempts}` });

  const intents = new Map<string, AnyIntent>();
  const intentChains = new Map<string, string[]>();
  for (const intent of options.intents ?? BUILTIN_INTENTS) {
    if (intents.has(intent.name)) problems.push({ field: `intents.${intent.name}`, message: 'is defined twice' });
    intents.set(intent.name, intent);
    const own = intent.order ? buildChain(intent.order, fallbacks, known, `intents.${intent.name}.order`) : built;
    if (intent.order) problems.push(...own.problems);
    const chain = own.chain.filter((n) => {
      const entry = providers.get(n);
      return entry !== undefined && serves(entry.provider, intent.capability);
    });
    if (chain.length === 0 && providers.size > 0) {
      problems.push({ field: `intents.${intent.name}`, message: `needs capability "${intent.capability}" but no provider in its chain serves it` });
    }
    intentChains.set(intent.name, chain);
  }

  if (problems.length) {
    throw new AetherError('config_invalid', `the AI router configuration is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { errors: problems });
  }
  return { names, providers, chain: built.chain, fallbacks, intents, intentChains, maxAttempts, deadlineMs, hedge };
}

/**
 * Whether a provider serves a capability: one that declares none serves every capability.
 * @example serves(ollamaProvider({ capabilities: ['chat'] }), 'extract_lead') // false
 */
export function serves(provider: Provider, capability: string): boolean {
  return !provider.capabilities || provider.capabilities.includes(capability);
}

/**
 * Hedge settings from `true`, `false` or an object; a bad object adds its problems and resolves to off.
 * @example resolveHedge(true, 'hedge', []) // {}
 */
export function resolveHedge(value: boolean | HedgeSettings | undefined, field: string, problems: FieldError[]): HedgeSettings | false {
  if (value === undefined || value === false) return false;
  const parsed = hedgeSettingsSchema.safeParse(value);
  if (!parsed.success) {
    problems.push(...fieldErrorsFromZod(parsed.error, { prefix: field }));
    return false;
  }
  return parsed.data === true ? {} : (parsed.data as HedgeSettings);
}

function checkSettings(value: ProviderSettings | undefined, field: string, problems: FieldError[]): ProviderSettings {
  if (value === undefined) return {};
  const parsed = providerSettingsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(...fieldErrorsFromZod(parsed.error, { prefix: field }));
  return {};
}

function merge(defaults: ProviderSettings, own: ProviderSettings): ResolvedSettings {
  const pick = <K extends keyof ProviderSettings>(key: K) => own[key] ?? defaults[key];
  return {
    timeoutMs: pick('timeoutMs') ?? DEFAULT_SETTINGS.timeoutMs,
    firstTokenTimeoutMs: pick('firstTokenTimeoutMs') ?? DEFAULT_SETTINGS.firstTokenTimeoutMs,
    idleTimeoutMs: pick('idleTimeoutMs') ?? DEFAULT_SETTINGS.idleTimeoutMs,
    retries: pick('retries') ?? DEFAULT_SETTINGS.retries,
    retryDelayMs: pick('retryDelayMs') ?? DEFAULT_SETTINGS.retryDelayMs,
    maxRetryDelayMs: pick('maxRetryDelayMs') ?? DEFAULT_SETTINGS.maxRetryDelayMs,
    quotaCooldownMs: pick('quotaCooldownMs') ?? DEFAULT_SETTINGS.quotaCooldownMs,
    maxCooldownMs: pick('maxCooldownMs') ?? DEFAULT_SETTINGS.maxCooldownMs,
    weight: pick('weight') ?? DEFAULT_SETTINGS.weight,
    tier: pick('tier'),
    breaker: { ...DEFAULT_SETTINGS.breaker, ...defaults.breaker, ...own.breaker },
  };
}
