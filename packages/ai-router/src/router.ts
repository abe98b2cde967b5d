import { AetherError, errorFields, fieldErrorsFromZod, isAetherError, loggerFor, severityOf, validationError } from '@aetherlink/core';
import { callClock } from './_internal/clock.js';
import type { Engine, Entry, Job } from './_internal/entry.js';
import { createBreaker } from './breaker.js';
import { AI_EVENT_TYPES } from './events.js';
import { runChain, summarize } from './execute.js';
import { outputCheck } from './intents.js';
import { buildChain, orderChain } from './plan.js';
import { resolveHedge, resolveRouterOptions, serves } from './resolve.js';
import { ProviderStats, toHealth } from './stats.js';
import { openChain, routedStream } from './stream.js';
import type { AnyIntent, CallOptions, ChatRequest, ChatResponse, RouteResult, Router, RouterOptions } from './types.js';

/**
 * The AI router: intents and chats tried across providers in order, skipping open breakers, retrying
 * retryable failures within one deadline, validating outputs, with health and `ai.*` events.
 * @example
 * const router = createRouter({ providers: { claude: anthropicProvider(), local: ollamaProvider() }, bus });
 * const { used_provider, output } = await router.run('extract-lead', { text: 'Ann Lee, ann@acme.io, Acme' });
 */
export function createRouter(options: RouterOptions): Router {
  const resolved = resolveRouterOptions(options);
  const clock = callClock(options.clock);
  const log = loggerFor(options.logger, 'ai-router');
  const { names, fallbacks, maxAttempts, deadlineMs, hedge, intents } = resolved;
  const known = new Set(names);
  const entries = new Map<string, Entry>();
  for (const [name, { provider, settings }] of resolved.providers) {
    const stats = new ProviderStats();
    // Logged once per change of a breaker, not per failed call: a storm of failures is one line per provider.
    const onOpen = (reopensAt: number, cause: unknown) =>
      log.warn({ provider: name, reopens_at: new Date(reopensAt).toISOString(), last_error: cause instanceof Error ? cause.message : stats.lastError }, 'a provider’s circuit breaker opened');
    const onClose = () => log.info({ provider: name }, 'a provider’s circuit breaker closed');
    entries.set(name, {
      name,
      provider,
      settings,
      stats,
      breaker: createBreaker({ name, clock, settings: settings.breaker, isFailure: failureCounts, onOpen, onClose }),
      info: {
        name,
        vendor: provider.vendor,
        model: provider.model ?? null,
        tier: settings.tier ?? null,
        capabilities: provider.capabilities ? [...provider.capabilities] : null,
      },
    });
  }
  const toEntries = (chain: readonly string[]) => chain.map((n) => entries.get(n)!);
  const baseChain = toEntries(resolved.chain);
  const intentChains = new Map([...resolved.intentChains].map(([name, chain]) => [name, toEntries(chain)]));

  const engine: Engine = { clock, random: options.random ?? Math.random, maxAttempts };
  const emitUsed = options.emitProviderUsed !== false;
  const allNames = [...resolved.chain, ...names.filter((n) => !resolved.chain.includes(n))];

  const emit = (type: string, data: Record<string, unknown>) => {
    options.bus?.emit(type, data, { severity: severityOf(AI_EVENT_TYPES, type) }).catch((error: unknown) => log.warn({ err: errorFields(error), event_type: type }, 'the AI router could not publish an event'));
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
    if (!isAetherError(error) || error.code !== 'upstream_failed') return;
    const details = error.details as { intent?: string; provider_errors?: { provider: string; error: string; latency_ms: number; kind: string }[] } | undefined;
    const errors = (details?.provider_errors ?? []).map(({ provider, error: message, latency_ms, kind }) => ({ provider, error: message, latency_ms, kind }));
    const intent = details?.intent ? { intent: details.intent } : {};
    log.debug({ ...intent, provider_errors: errors }, 'every provider failed');
    if (options.bus) emit('ai.fallback.failed', { ...intent, errors });
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

