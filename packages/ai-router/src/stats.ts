import type { BreakerState, ProviderHealth, ProviderInfo, Usage } from './types.js';

/**
 * The last N latencies in a ring, with percentiles. Sorting is cached: on the hot path a percentile is
 * re-sorted at most once per `refreshEvery` new samples, so reading it costs nothing per call.
 * @example const w = new LatencyWindow(128); w.add(42); w.percentile(0.95)
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;
  #sorted: Float64Array | null = null;
  #sinceSort = 0;
  readonly #refreshEvery: number;

  constructor(size = 128, refreshEvery = 8) {
    this.#samples = new Float64Array(size);
    this.#refreshEvery = refreshEvery;
  }

  get count(): number {
    return this.#count;
  }

  add(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
    this.#sinceSort++;
  }

  /** The q-quantile (nearest rank) of the window; null while empty. `exact` re-sorts if anything changed. */
  percentile(q: number, exact = false): number | null {
    if (this.#count === 0) return null;
    if (!this.#sorted || (this.#sinceSort > 0 && (exact || this.#sinceSort >= this.#refreshEvery))) {
      this.#sorted = this.#samples.slice(0, this.#count).sort();
      this.#sinceSort = 0;
    }
    const rank = Math.min(this.#sorted.length - 1, Math.max(0, Math.ceil(q * this.#sorted.length) - 1));
    return this.#sorted[rank]!;
  }
}

/**
 * Running counters of one provider. Mutated by the router; read through `toHealth()`.
 * @example const s = new ProviderStats(); s.begin(); s.success(Date.now(), 120)
 */
export class ProviderStats {
  totalCalls = 0;
  failedCalls = 0;
  lastError: string | null = null;
  lastChecked: number | null = null;
  lastOk = true;
  inputTokens = 0;
  outputTokens = 0;
  readonly latencies = new LatencyWindow();

  /** An attempt reached the provider. */
  begin(): void {
    this.totalCalls++;
  }

  success(now: number, latencyMs: number): void {
    this.lastChecked = now;
    this.lastOk = true;
    this.latencies.add(latencyMs);
  }

  tokens(usage: Usage | undefined): void {
    if (!usage) return;
    this.inputTokens += usage.input_tokens;
    this.outputTokens += usage.output_tokens;
  }

  /** `counts` false: the failure says nothing about the provider (a bad request), so health is untouched. */
  failure(now: number, message: string, counts: boolean): void {
    this.lastChecked = now;
    if (!counts) return;
    this.failedCalls++;
    this.lastError = message;
    this.lastOk = false;
  }
}

/**
 * One provider's health entry, as `GET /providers/health` shows it.
 * @example toHealth(stats, 'closed', null, info)
 */
export function toHealth(stats: ProviderStats, breaker: BreakerState, reopensAt: number | null, info: ProviderInfo): ProviderHealth {
  return {
    healthy: breaker !== 'open' && stats.lastOk,
    last_error: stats.lastError,
    last_checked: stats.lastChecked === null ? null : new Date(stats.lastChecked).toISOString(),
    total_calls: stats.totalCalls,
    failed_calls: stats.failedCalls,
    breaker,
    reopens_at: reopensAt === null ? null : new Date(reopensAt).toISOString(),
    p50_ms: stats.latencies.percentile(0.5, true),
    p95_ms: stats.latencies.percentile(0.95, true),
    tokens: { input: stats.inputTokens, output: stats.outputTokens, total: stats.inputTokens + stats.outputTokens },
    vendor: info.vendor,
    model: info.model,
    tier: info.tier,
    capabilities: info.capabilities,
  };
}
