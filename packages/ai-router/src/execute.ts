import { AetherError, sleep, spansEnabled, withSpan } from '@aetherlink/core';
import pRetry from 'p-retry';
import { asProviderError, failureFields, report, skipped, type Engine, type Entry, type Job } from './_internal/entry.js';
import { ProviderError } from './errors.js';
import { decideRetry, type RetryDecision } from './retry-policy.js';
import type { AllFailedDetails, ChatResponse, HedgeSettings, ProviderFailure, Usage } from './types.js';

/** One provider being tried within a call (with its retries). */
export interface Lane {
  entry: Entry;
  controller: AbortController;
  hedged: boolean;
  /** The attempt in flight, for reporting it when the lane is cancelled. */
  current: { attempt: number; started: number } | null;
  /** Ends the attempt in flight at once (set while one runs). */
  abort?: ((reason: ProviderError) => void) | undefined;
}

export interface Answer {
  response: ChatResponse;
  output: unknown;
}

/**
 * Tries one provider with p-retry: each attempt through its breaker, retries only for retryable failures
 * and only while the decision allows (waits run on the injected clock). Resolves with the first success.
 * @example const answer = await tryProvider(engine, job, lane, () => attemptOnce(engine, job, lane), spare)
 */
export async function tryProvider<T>(
  engine: Engine,
  job: Job,
  lane: Lane,
  once: () => Promise<T>,
  spareAttempts: () => number,
  usage: (value: T) => Usage | undefined,
): Promise<T> {
  const { entry } = lane;
  const { clock } = engine;
  let tries = 0;
  let decision: RetryDecision | undefined;
  return pRetry(
    async () => {
      tries++;
      const started = clock.now();
      lane.current = { attempt: tries, started };
      try {
        const value = await entry.breaker.fire(() => {
          job.attemptsUsed++;
          entry.stats.begin();
          return spansEnabled() ? attemptSpan(job, entry, tries, once) : once();
        });
        const now = clock.now();
        entry.stats.success(now, now - started);
        entry.stats.tokens(usage(value));
        report(job, { provider: entry.name, attempt: tries, outcome: 'ok', latency_ms: now - started, ...(lane.hedged ? { hedged: true } : {}) });
        return value;
      } catch (raw) {
        const error = asProviderError(raw, lane.controller.signal);
        const now = clock.now();
        decision = { retry: false, reason: 'not_retryable' };
        if (error.kind === 'breaker_open') {
          // Rejected before reaching the provider: neither an attempt nor a call.
          report(job, { provider: entry.name, attempt: tries, outcome: 'skipped', latency_ms: 0, ...failureFields(error) });
          throw error;
        }
        entry.stats.failure(now, error.message, error.countsAsFailure);
        const outcome = error.kind === 'cancelled' ? 'cancelled' : 'failed';
        report(job, { provider: entry.name, attempt: tries, outcome, latency_ms: now - started, ...(lane.hedged ? { hedged: true } : {}), ...failureFields(error) });
        if (outcome === 'cancelled') throw error;
        const s = entry.settings;
        decision = decideRetry({
          kind: error.kind,
          retryable: error.retryable,
          retryAfterMs: error.retryAfterMs,
          tries,
          retries: s.retries,
          timeLeftMs: job.deadlineAt - now,
          spareAttempts: spareAttempts(),
          retryDelayMs: s.retryDelayMs,
          maxRetryDelayMs: s.maxRetryDelayMs,
          quotaCooldownMs: s.quotaCooldownMs,
          maxCooldownMs: s.maxCooldownMs,
          random: engine.random(),
        });
        if (!decision.retry && decision.cooldownMs !== undefined) entry.breaker.coolDown(decision.cooldownMs);
        throw error;
      } finally {
        lane.current = null;
      }
    },
    {
      retries: entry.settings.retries,
      // Backoff waits are ours, on the injected clock: p-retry's own would use real timers.
      minTimeout: 0,
      signal: lane.controller.signal,
      shouldRetry: async () => {
        if (!decision?.retry) return false;
        if (decision.delayMs > 0) await sleep(clock, decision.delayMs, lane.controller.signal);
        return true;
      },
    },
  );
}

// One client span per attempt (the provider's HTTP call carries its id in `traceparent`); only with a tracer provider.
function attemptSpan<T>(job: Job, entry: Entry, attempt: number, once: () => Promise<T>): Promise<T> {
  return withSpan(
    `chat ${entry.name}`,
    {
      kind: 'client',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': entry.info.vendor,
        'gen_ai.request.model': job.request.model ?? entry.info.model ?? undefined,
        'aetherlink.ai.provider': entry.name,
        'aetherlink.ai.intent': job.intent,
        'aetherlink.ai.attempt': attempt,
      },
    },
    once,
  );
}

/**
 * One non-streaming attempt: the provider's answer within `min(timeout, time left)`, then the output check.
 * A provider that ignores its signal still cannot hold the call: the attempt settles when it is aborted.
 * @example const answer = await attemptOnce(engine, job, lane)
 */
export function attemptOnce(engine: Engine, job: Job, lane: Lane): Promise<Answer> {
  const { clock } = engine;
  const { settings, provider } = lane.entry;
  const left = job.deadlineAt - clock.now();
  if (left <= 0) return Promise.reject(new ProviderError('deadline', 'the call’s deadline passed before this attempt'));
  if (lane.controller.signal.aborted) return Promise.reject(asProviderError(lane.controller.signal.reason, lane.controller.signal));
  const limit = Math.min(settings.timeoutMs, left);
  const controller = new AbortController();
  // Settled by whichever comes first: the answer, the timer, or the lane being cancelled (lane.abort).
  // No listeners on signals: this is the hot path.
  return new Promise<Answer>((resolve, reject) => {
    let done = false;
    const end = () => {
      done = true;
      clock.clearTimeout(timer);
      lane.abort = undefined;
    };
    const abort = (reason: ProviderError) => {
      if (done) return;
      end();
      controller.abort(reason);
      reject(reason);
    };
    lane.abort = abort;
    const timer = clock.setTimeout(() => {
      abort(
        limit < settings.timeoutMs
          ? new ProviderError('deadline', `the call’s deadline passed after ${limit} ms of this attempt`)
          : new ProviderError('timeout', `no answer within ${limit} ms`),
      );
    }, limit);
    let answer: Promise<ChatResponse>;
    try {
      answer = provider.chat(job.request, { signal: controller.signal, timeoutMs: limit });
    } catch (error) {
      answer = Promise.reject(error as Error);
    }
    answer.then(
      (response) => {
        if (done) return;
        end();
        try {
          resolve({ response, output: job.accept(response) });
        } catch (error) {
          reject(asProviderError(error));
        }
      },
      (error: unknown) => {
        if (done) return;
        end();
        reject(asProviderError(error, controller.signal));
      },
    );
  });
}

/** Cancels a lane: its retry loop and the attempt in flight. */
export function cancelLane(lane: Lane, reason: ProviderError): void {
  lane.controller.abort(reason);
  lane.abort?.(reason);
}

export interface Won {
  entry: Entry;
  answer: Answer;
}

/**
 * Runs a chain: providers one after another, skipping open breakers; with hedging, when the provider in
 * flight is slower than its recent p95, the next one starts beside it and the first good answer wins.
 * @example const won = await runChain(engine, job, chain, hedge)
 */
export function runChain(engine: Engine, job: Job, chain: readonly Entry[], hedge: HedgeSettings | false): Promise<Won> {
  const { clock } = engine;
  return new Promise<Won>((resolve, reject) => {
    let next = 0;
    const running = new Set<Lane>();
    let settled = false;
    let hedgeTimer: unknown;

    const cleanup = () => {
      settled = true;
      if (hedgeTimer !== undefined) clock.clearTimeout(hedgeTimer);
      job.signal?.removeEventListener('abort', onCallerAbort);
    };
    const cancelOthers = (why: string) => {
      if (running.size === 0) return;
      const reason = new ProviderError('cancelled', why);
      const now = clock.now();
      for (const lane of running) {
        if (lane.current) {
          report(job, { provider: lane.entry.name, attempt: lane.current.attempt, outcome: 'cancelled', latency_ms: now - lane.current.started, ...(lane.hedged ? { hedged: true } : {}), ...failureFields(reason) });
        }
        cancelLane(lane, reason);
      }
    };
    function onCallerAbort() {
      if (settled) return;
      cleanup();
      cancelOthers('the caller cancelled the call');
      job.sealed = true;
      reject(job.signal!.reason);
    }
    if (job.signal?.aborted) return reject(job.signal.reason);
    job.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const spare = () => engine.maxAttempts - job.attemptsUsed - (chain.length - next);

    const launch = (hedged: boolean) => {
      if (settled) return;
      while (next < chain.length) {
        const entry = chain[next++]!;
        if (skipped(engine, job, entry)) continue;
        const lane: Lane = { entry, controller: new AbortController(), hedged, current: null };
        running.add(lane);
        tryProvider(engine, job, lane, () => attemptOnce(engine, job, lane), spare, (a) => a.response.usage).then(
          (answer) => {
            running.delete(lane);
            if (settled) return;
            cleanup();
            cancelOthers('another provider answered first');
            job.sealed = true;
            resolve({ entry, answer });
          },
          () => {
            running.delete(lane);
            if (settled) return;
            launch(false);
          },
        );
        scheduleHedge(lane);
        return;
      }
      if (running.size === 0) {
        cleanup();
        job.sealed = true;
        reject(allFailed(engine, job, chain));
      }
    };

    const scheduleHedge = (lane: Lane) => {
      if (!hedge || running.size !== 1 || next >= chain.length) return;
      const p95 = lane.entry.stats.latencies.count >= (hedge.minSamples ?? 20) ? lane.entry.stats.latencies.percentile(0.95) : null;
      const after = hedge.afterMs ?? p95;
      if (after === null) return;
      if (hedgeTimer !== undefined) clock.clearTimeout(hedgeTimer);
      hedgeTimer = clock.setTimeout(() => {
        hedgeTimer = undefined;
        if (!settled && running.size === 1 && running.has(lane)) launch(true);
      }, Math.max(hedge.minDelayMs ?? 5, after));
    };

    launch(false);
  });
}

/**
 * The one error of a call whose every provider failed: `upstream_failed` (502) with each provider's error and
 * latency, and a `retry-after` when every breaker was open.
 * @example throw allFailed(engine, job, chain)
 */
export function allFailed(engine: Engine, job: Job, chain: readonly Entry[]): AetherError {
  const now = engine.clock.now();
  const failures = summarize(job, chain);
  const allOpen = job.attempts.length > 0 && job.attempts.every((a) => a.kind === 'breaker_open');
  const reopen = allOpen ? Math.min(...chain.map((e) => e.breaker.reopensAt() ?? Number.POSITIVE_INFINITY)) : Number.POSITIVE_INFINITY;
  const details: AllFailedDetails & { retry_after_seconds?: number } = {
    ...(job.intent ? { intent: job.intent } : {}),
    provider_errors: failures,
    attempts: job.attempts,
    latency_ms: now - job.started,
    ...(Number.isFinite(reopen) ? { retry_after_seconds: Math.max(1, Math.ceil((reopen - now) / 1000)) } : {}),
  };
  const subject = job.intent ? ` for "${job.intent}"` : '';
  const list = failures.map((f) => `${f.provider}: ${f.error}`).join('; ');
  const message = allOpen ? `every provider's circuit breaker is open${subject}` : `every provider failed${subject}: ${list || 'no provider could be tried'}`;
  return new AetherError('upstream_failed', message, { details: details as unknown as Record<string, unknown> });
}

/** Each provider's last error with its total latency, in chain order. */
export function summarize(job: Job, chain: readonly Entry[]): ProviderFailure[] {
  const out: ProviderFailure[] = [];
  for (const entry of chain) {
    const mine = job.attempts.filter((a) => a.provider === entry.name && a.outcome !== 'ok');
    const last = mine[mine.length - 1];
    if (!last) continue;
    out.push({
      provider: entry.name,
      error: last.error ?? 'failed',
      latency_ms: mine.reduce((sum, a) => sum + a.latency_ms, 0),
      kind: last.kind ?? 'unknown',
      ...(last.status === undefined ? {} : { status: last.status }),
    });
  }
  return out;
}
