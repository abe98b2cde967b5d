import { AetherError, type AetherErrorCode } from '@aetherlink/core';
import { countsAsFailure, isRetryable } from './classify.js';
import type { FailureKind } from './types.js';

const BRAND = Symbol.for('aetherlink.ai-router.provider-error');

export interface ProviderErrorOptions {
  /** HTTP status the provider answered, when it answered. */
  status?: number;
  /** How long the provider asked us to wait (`retry-after`), in ms. */
  retryAfterMs?: number;
  /** Override the kind's default. */
  retryable?: boolean;
  /** Override whether it counts against the provider's breaker and health. */
  countsAsFailure?: boolean;
  cause?: unknown;
}

// Only the HTTP layer maps codes to statuses; a provider failure that escapes on its own maps like this.
const CODE_BY_KIND: Partial<Record<FailureKind, AetherErrorCode>> = {
  timeout: 'timeout',
  deadline: 'timeout',
  rate_limited: 'rate_limited',
  quota_exhausted: 'rate_limited',
  cancelled: 'unavailable',
  breaker_open: 'unavailable',
};

/**
 * One provider failure, classified once where it happened: its kind says whether to retry and whether it counts.
 * @example throw new ProviderError('rate_limited', '429 from claude', { status: 429, retryAfterMs: 2000 })
 */
export class ProviderError extends AetherError {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;
  readonly countsAsFailure: boolean;
  readonly [BRAND] = true;

  constructor(kind: FailureKind, message: string, options: ProviderErrorOptions = {}) {
    super(CODE_BY_KIND[kind] ?? 'upstream_failed', message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      details: { kind, ...(options.status === undefined ? {} : { upstream_status: options.status }) },
    });
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.retryable = options.retryable ?? isRetryable(kind);
    this.countsAsFailure = options.countsAsFailure ?? countsAsFailure(kind);
  }
}

/**
 * True for a ProviderError, even one made by another copy of this package.
 * @example if (isProviderError(err) && err.kind === 'rate_limited') wait(err.retryAfterMs)
 */
export function isProviderError(value: unknown): value is ProviderError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
