import type { FailureKind } from './types.js';

export interface RetryInput {
  kind: FailureKind;
  retryable: boolean;
  retryAfterMs?: number | undefined;
  /** Tries of this provider so far, the failed one included. */
  tries: number;
  /** Retries this provider is allowed. */
  retries: number;
  /** Milliseconds left before the call's deadline. */
  timeLeftMs: number;
  /** Attempts the call may still make beyond one for each provider after this one. */
  spareAttempts: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  quotaCooldownMs: number;
  maxCooldownMs: number;
  /** 0 ≤ x < 1, for jitter. */
  random: number;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not_retryable' | 'no_retries_left' | 'attempt_budget' | 'wait_too_long'; cooldownMs?: number };

/**
 * Decides, purely, whether to try the same provider again and after how long. A provider's `retry-after`
 * wins over backoff; one longer than `maxRetryDelayMs` or than the time left fails over at once and cools
 * the provider down for that long instead of sleeping. Used-up quota is never retried and cools down long.
 * @example decideRetry({ kind: 'overloaded', retryable: true, tries: 1, retries: 2, timeLeftMs: 9000, … })
 */
export function decideRetry(input: RetryInput): RetryDecision {
  if (input.kind === 'quota_exhausted') return { retry: false, reason: 'not_retryable', cooldownMs: input.quotaCooldownMs };
  const cooldown = input.retryAfterMs === undefined || input.retryAfterMs <= 0 ? {} : { cooldownMs: Math.min(input.retryAfterMs, input.maxCooldownMs) };
  if (!input.retryable) return { retry: false, reason: 'not_retryable' };
  if (input.tries > input.retries) return { retry: false, reason: 'no_retries_left', ...cooldown };
  if (input.spareAttempts <= 0) return { retry: false, reason: 'attempt_budget', ...cooldown };
  const delayMs = input.retryAfterMs ?? backoff(input.tries, input.retryDelayMs, input.maxRetryDelayMs, input.random);
  if (delayMs > input.maxRetryDelayMs || delayMs >= input.timeLeftMs) return { retry: false, reason: 'wait_too_long', ...cooldown };
  return { retry: true, delayMs };
}

/**
 * Exponential backoff with equal jitter: half fixed, half random, capped.
 * @example backoff(1, 250, 5000, Math.random()) // 125–250
 */
export function backoff(tries: number, baseMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, tries - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
