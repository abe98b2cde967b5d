import { AetherError, fieldErrorsFromZod, isAetherError, validationError, type FieldError } from '@aetherlink/core';
import { callClock } from './_internal/clock.js';
import { type Engine, type Entry, type Job, type ResolvedSettings } from './_internal/entry.js';
import { createBreaker } from './breaker.js';
import { runChain, summarize } from './execute.js';
import { BUILTIN_INTENTS, outputCheck } from './intents.js';
import { buildChain, findFallbackProblems, orderChain } from './plan.js';
import { customProvider } from './providers/custom.js';
import { hedgeSettingsSchema, providerSettingsSchema } from './schemas.js';
import { ProviderStats, toHealth } from './stats.js';
import { openChain, routedStream } from './stream.js';
import type { AnyIntent, CallOptions, ChatRequest, ChatResponse, HedgeSettings, Provider, ProviderSettings, RouteResult, Router, RouterOptions } from './types.js';

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

/**
 * The AI router: intents and chats tried across providers in order, skipping open breakers, retrying
 * retryable failures within one deadline, validating outputs, with health and `ai.*` events.
 * @example
 * const router = createRouter({ providers: { claude: anthropicProvider(), local: ollamaProvider() }, bus });
 * const { used_provider, output } = await router.run('extract-lead', { text: 'Ann Lee, ann@acme.io, Acme' });
 */
export function createRouter(options: RouterOptions): Router {
  const clock = callClock(options.clock);
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

  const entries = new Map<string, Entry>();
  for (const name of names) {
    const raw = options.providers[name];
    const provider = typeof raw === 'function' ? customProvider(raw) : raw;
    if (!provider || typeof provider.chat !== 'function') {
      problems.push({ field: `providers.${name}`, message: 'must be a provider (with chat()) or a function' });
      continue;
    }
    const own = checkSettings(options.settings?.[name], `settings.${name}`, problems);
    const settings = merge(defaults, own);
    entries.set(name, {
      name,
      provider,
      settings,
      stats: new ProviderStats(),
      breaker: createBreaker({ name, clock, settings: settings.breaker, isFailure: failureCounts }),
      info: {
        name,
        vendor: provider.vendor,
        model: provider.model ?? null,
        tier: settings.tier ?? null,
        capabilities: provider.capabilities ? [...provider.capabilities] : null,
      },
    });
  }

  const built = buildChain(options.order ?? names, fallbacks, known, 'order');
  problems.push(...built.problems);
  if (built.chain.length > maxAttempts) problems.push({ field: 'order', message: `its chain has ${built.chain.length} providers but maxAttempts is ${maxAttempts}` });
  const baseChain = built.chain.map((n) => entries.get(n)).filter((e): e is Entry => e !== undefined);

  const intents = new Map<string, AnyIntent>();
  const intentChains = new Map<string, Entry[]>();
  for (const intent of options.intents ?? BUILTIN_INTENTS) {
    if (intents.has(intent.name)) problems.push({ field: `intents.${intent.name}`, message: 'is defined twice' });
    intents.set(intent.name, intent);
    const own = intent.order ? buildChain(intent.order, fallbacks, known, `intents.${intent.name}.order`) : built;
    if (intent.order) problems.push(...own.problems);
    const chain = own.chain.map((n) => entries.get(n)).filter((e): e is Entry => e !== undefined && serves(e.provider, intent.capability));
    if (chain.length === 0 && entries.size > 0) {
      problems.push({ field: `intents.${intent.name}`, message: `needs capability "${intent.capability}" but no provider in its chain serves it` });
    }
    intentChains.set(intent.name, chain);
  }

  if (problems.length) {
    throw new AetherError('config_invalid', `the AI router configuration is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { errors: problems });
  }

  const engine: Engine = { clock, random: options.random ?? Math.random, maxAttempts };
  const emitUsed = options.emitProviderUsed !== false;
  const onError =
    options.onError ??
    ((error: unknown) => process.emitWarning(`the AI router could not publish an event: ${error instanceof Error ? error.message : String(error)}`, 'AetherLinkWarning'));
  const allNames = [...baseChain.map((e) => e.name), ...names.filter((n) => !built.chain.includes(n))];

  const emit = (type: string, data: Record<string, unknown>) => {
    options.bus?.emit(type, data).catch(onError);
  };

  const announce = (job: Job, entry: Entry, chain: readonly Entry[], latencyMs: number, model: string | undefined, usage: ChatResponse['usage']) => {
    if (!options.bus) return;
    const intent = job.intent ? { intent: job.intent } : {};
    if (emitUsed) {
      emit('ai.provider.used', { provider: entry.name, ...intent, latency_ms: latencyMs, attempts: job.attempts.length, ...(model ? { model } : {}), ...(usage ? { usage } : {}) });
    }
    if (chain[0] && entry !== chain[0]) {
      const failed = summarize(job, chain).filter((f) => f.provider !== entry.name);
      emit('ai.fallback.used', { provider: entry.name, ...intent, failed: failed.map(({ provider, error, latency_ms, kind }) => ({ provider, error, latency_ms, kind })) });
    }
  };

  const publishOutcome = (intent: AnyIntent | undefined, output: unknown, input: unknown) => {
    if (!options.bus || !intent?.event) return;
    const event = intent.event(output, input);
    if (event) emit(event.type, event.data);
  };

  const announceFailure = (error: unknown) => {
    if (!options.bus || !isAetherError(error) || error.code !== 'upstream_failed') return;
    const details = error.details as { intent?: string; provider_errors?: { provider: string; error: string; latency_ms: number; kind: string }[] } | undefined;
    emit('ai.fallback.failed', {
      ...(details?.intent ? { intent: details.intent } : {}),
      errors: (details?.provider_errors ?? []).map(({ provider, error: message, latency_ms, kind }) => ({ provider, error: message, latency_ms, kind })),
    });
  };

  const chainFor = (base: readonly Entry[], call: CallOptions, intentCapability?: string): readonly Entry[] => {
    let chain = base;
    if (call.order) {
      const own = buildChain(call.order, fallbacks, known, 'order');
      if (own.problems.length) throw validationError(own.problems);
      chain = own.chain.map((n) => entries.get(n)!);
      if (intentCapability) chain = chain.filter((e) => serves(e.provider, intentCapability));
    }
    if (call.capability) {
      const capability = call.capability;
      chain = chain.filter((e) => serves(e.provider, capability));
    }
    if (call.prefer !== undefined) {
      const preferred = entries.get(call.prefer);
      if (!preferred) throw validationError([{ field: 'prefer', message: `unknown provider "${call.prefer}"` }]);
      if (!intentCapability || serves(preferred.provider, intentCapability)) chain = [preferred, ...chain.filter((e) => e !== preferred)];
    }
    const strategy = options.strategy ?? 'order';
    if (strategy === 'order' || chain.length < 2) return chain;
    const head = call.prefer !== undefined ? chain.slice(0, 1) : [];
    const rest = call.prefer !== undefined ? chain.slice(1) : chain;
    const ordered = orderChain(
      rest.map((e) => e.name),
      strategy,
      { p50: (n) => entries.get(n)!.stats.latencies.percentile(0.5), weight: (n) => entries.get(n)!.settings.weight, random: engine.random() },
    );
    return [...head, ...ordered.map((n) => entries.get(n)!)];
  };

  const newJob = (intent: string | undefined, request: ChatRequest, accept: Job['accept'], call: CallOptions): Job => {
    const started = clock.now();
    const budget = call.deadlineMs ?? deadlineMs;
    return { intent, request, accept, signal: call.signal, started, deadlineAt: started + budget, attempts: [], attemptsUsed: 0, sealed: false };
  };

  const execute = async <O>(job: Job, chain: readonly Entry[], call: CallOptions, onOutput?: (output: unknown) => void): Promise<RouteResult<O>> => {
    if (chain.length === 0) throw new AetherError('upstream_failed', 'no provider serves this call', { details: { provider_errors: [], attempts: [] } });
    const callHedge = call.hedge === undefined ? hedge : resolveHedge(call.hedge, 'hedge', []);
    try {
      const { entry, answer } = await runChain(engine, job, chain, callHedge);
      const latency = clock.now() - job.started;
      const { response } = answer;
      const model = response.model ?? entry.info.model ?? undefined;
      announce(job, entry, chain, latency, model, response.usage);
      onOutput?.(answer.output);
      return {
        ...(job.intent ? { intent: job.intent } : {}),
        used_provider: entry.name,
        ...(model ? { model } : {}),
        output: answer.output as O,
        text: response.text,
        latency_ms: latency,
        attempts: job.attempts,
        ...(response.usage ? { usage: response.usage } : {}),
        ...(response.finish_reason ? { finish_reason: response.finish_reason } : {}),
      };
    } catch (error) {
      announceFailure(error);
      throw error;
    }
  };

  const prepare = (name: string, input: unknown) => {
    const intent = intents.get(name);
    if (!intent) {
      throw validationError([{ field: 'intent', message: `unknown intent "${name}"; known: ${[...intents.keys()].join(', ')}` }], 'the intent is unknown');
    }
    const parsed = intent.input.safeParse(input);
    if (!parsed.success) throw validationError(fieldErrorsFromZod(parsed.error, { prefix: 'input' }), `the input of "${name}" is invalid`);
    const request = intent.prompt(parsed.data);
    return { intent, input: parsed.data as unknown, request, accept: outputCheck(intent, parsed.data, request) };
  };

  const openStream = async (job: Job, chain: readonly Entry[], onOutput?: (output: unknown) => void) => {
    if (chain.length === 0) throw new AetherError('upstream_failed', 'no provider serves this call', { details: { provider_errors: [], attempts: [] } });
    try {
      const { entry, start, releaseLane } = await openChain(engine, job, chain);
      const latency = clock.now() - job.started;
      announce(job, entry, chain, latency, entry.info.model ?? undefined, undefined);
      return routedStream(engine, job, entry, start, releaseLane, latency, onOutput);
    } catch (error) {
      announceFailure(error);
      throw error;
    }
  };

  return {
    run(name, input, call = {}) {
      try {
        const prepared = prepare(name, input);
        const { intent, request, accept } = prepared;
        return execute(newJob(intent.name, request, accept, call), chainFor(intentChains.get(intent.name)!, call, intent.capability), call, (output) => publishOutcome(intent, output, prepared.input));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    chat(request, call = {}) {
      try {
        return execute(newJob(undefined, request, textOf, call), chainFor(baseChain, call), call);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    async stream(request, call = {}) {
      return openStream(newJob(undefined, request, textOf, call), chainFor(baseChain, call));
    },
    async streamIntent(name, input, call = {}) {
      const prepared = prepare(name, input);
      const { intent, request, accept } = prepared;
      return openStream(newJob(intent.name, request, accept, call), chainFor(intentChains.get(intent.name)!, call, intent.capability), (output) => publishOutcome(intent, output, prepared.input));
    },
    health() {
      const out: Record<string, ReturnType<typeof toHealth>> = {};
      for (const name of allNames) {
        const e = entries.get(name)!;
        out[name] = toHealth(e.stats, e.breaker.state(), e.breaker.reopensAt(), e.info);
      }
      return out;
    },
    providerNames: () => [...allNames],
    providers: () => allNames.map((n) => ({ ...entries.get(n)!.info })),
    intents: () => intents,
    close() {
      for (const e of entries.values()) e.breaker.shutdown();
    },
  };
}

const textOf = (response: ChatResponse): string => response.text;

function failureCounts(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { countsAsFailure?: unknown }).countsAsFailure === false);
}

function serves(provider: Provider, capability: string): boolean {
  return !provider.capabilities || provider.capabilities.includes(capability);
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

function resolveHedge(value: boolean | HedgeSettings | undefined, field: string, problems: FieldError[]): HedgeSettings | false {
  if (value === undefined || value === false) return false;
  const parsed = hedgeSettingsSchema.safeParse(value);
  if (!parsed.success) {
    problems.push(...fieldErrorsFromZod(parsed.error, { prefix: field }));
    return false;
  }
  return parsed.data === true ? {} : (parsed.data as HedgeSettings);
}
