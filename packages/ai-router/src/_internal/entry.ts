import type { Clock } from '@aetherlink/core';
import type { ProviderBreaker } from '../breaker.js';
import { classifyNetworkError } from '../classify.js';
import { isProviderError, ProviderError } from '../errors.js';
import type { ProviderStats } from '../stats.js';
import type { Attempt, BreakerSettings, ChatRequest, ChatResponse, Provider, ProviderInfo, ProviderSettings } from '../types.js';

export type ResolvedSettings = Required<Omit<ProviderSettings, 'breaker' | 'tier'>> & { breaker: Required<BreakerSettings>; tier: string | undefined };

/** Everything the router keeps about one provider. */
export interface Entry {
  name: string;
  provider: Provider;
  settings: ResolvedSettings;
  breaker: ProviderBreaker;
  stats: ProviderStats;
  info: ProviderInfo;
}

/** What lanes share while one call runs. */
export interface Job {
  intent: string | undefined;
  request: ChatRequest;
  /** Validates an answer and returns the call's output; throws `invalid_output`. */
  accept(response: ChatResponse): unknown;
  signal: AbortSignal | undefined;
  started: number;
  deadlineAt: number;
  attempts: Attempt[];
  attemptsUsed: number;
  /** Set once the call has its answer: later attempts are no longer reported. */
  sealed: boolean;
}

/** The parts of the router the engines need. */
export interface Engine {
  clock: Clock;
  random: () => number;
  maxAttempts: number;
}

/**
 * Whatever an attempt threw, as a ProviderError: the abort reason the router set, a transport failure, or `unknown`.
 * @example catch (e) { const error = asProviderError(e, controller.signal) }
 */
export function asProviderError(error: unknown, signal?: AbortSignal): ProviderError {
  if (isProviderError(error)) return error;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return isProviderError(reason) ? reason : new ProviderError('cancelled', 'the call was cancelled', { cause: reason });
  }
  const network = classifyNetworkError(error);
  if (network) return new ProviderError(network.kind, network.message, { cause: error });
  return new ProviderError('unknown', error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Settles with the promise, or rejects with the signal's reason as soon as it aborts — so a provider that
 * ignores its signal still cannot hold a call past its timeout.
 * @example await abortable(provider.chat(req, ctx), ctx.signal)
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/**
 * A controller aborted when `parent` aborts (with its reason); `release()` unhooks it.
 * @example const { controller, release } = linked(laneSignal)
 */
export function linked(parent: AbortSignal | undefined): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  if (!parent) return { controller, release: noop };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, release: noop };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, release: () => parent.removeEventListener('abort', onAbort) };
}

function noop(): void {}

/**
 * Records an attempt unless the call already has its answer.
 * @example report(job, { provider: 'claude', attempt: 1, outcome: 'ok', latency_ms: 120 })
 */
export function report(job: Job, attempt: Attempt): void {
  if (!job.sealed) job.attempts.push(attempt);
}

/** Attempt fields describing a failure. */
export function failureFields(error: ProviderError): Pick<Attempt, 'error' | 'kind' | 'status' | 'retry_after_ms'> {
  return {
    error: error.message,
    kind: error.kind,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retry_after_ms: error.retryAfterMs }),
  };
}

/**
 * Whether a provider's turn is skipped (breaker open, deadline passed, attempts used up); reports the skip.
 * @example for (const entry of chain) { if (skipped(engine, job, entry)) continue; … }
 */
export function skipped(engine: Engine, job: Job, entry: Entry): boolean {
  if (entry.breaker.state() === 'open') {
    report(job, { provider: entry.name, attempt: 1, outcome: 'skipped', latency_ms: 0, error: 'circuit breaker open', kind: 'breaker_open' });
    return true;
  }
  const late = engine.clock.now() >= job.deadlineAt;
  if (late || job.attemptsUsed >= engine.maxAttempts) {
    const why = late ? 'the call’s deadline passed before its turn' : 'the call used up its attempts before its turn';
    report(job, { provider: entry.name, attempt: 1, outcome: 'skipped', latency_ms: 0, error: why, kind: 'deadline' });
    return true;
  }
  return false;
}
