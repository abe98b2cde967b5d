/** What one try at sending a delivery came to. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error?: string;
  /** The receiver's Retry-After, in ms. */
  retryAfterMs?: number;
  /** The receiver said the endpoint is gone (HTTP 410): no more tries. */
  gone?: boolean;
}

/** Delays before attempts 2, 3, …: Svix's schedule (DESIGN §5); attempt 1 is immediate. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface RetryPolicy {
  scheduleMs?: readonly number[];
  /** ± this fraction of each delay, at random. Default 0.2. */
  jitter?: number;
  random?: () => number;
}

/**
 * When to try again after failed attempt number `attempt`, or null to dead-letter. Pure.
 * @example nextRetryAt({ attempt: 1, maxAttempts: 8, now, result }) // now + ~5 s
 */
export function nextRetryAt(input: { attempt: number; maxAttempts: number; now: number; result: SendResult; policy?: RetryPolicy }): number | null {
  const { attempt, maxAttempts, now, result, policy = {} } = input;
  if (result.gone || attempt >= maxAttempts) return null;
  const schedule = policy.scheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
  const base = schedule[Math.min(attempt - 1, schedule.length - 1)] ?? 0;
  const jitter = policy.jitter ?? 0.2;
  const spread = base * jitter * ((policy.random ?? Math.random)() * 2 - 1);
  return now + Math.max(Math.round(base + spread), result.retryAfterMs ?? 0);
}
