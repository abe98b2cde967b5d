import { AetherError } from '@aetherlink/core';

/** What one try at sending a delivery came to. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error?: string;
  /** The receiver's Retry-After, in ms. */
  retryAfterMs?: number;
  /** The receiver said the endpoint is gone (HTTP 410): no more tries, and the endpoint is disabled. */
  gone?: boolean;
  /** The egress policy refused the target: no more tries (it will not change until the configuration does). */
  refused?: boolean;
  /** Shutdown cut the try short: the delivery goes back to the queue untried, not counted. */
  aborted?: boolean;
  /** The answer's body, cut to its first 20 KB. */
  responseBody?: string | null;
  /** How long the try took, measured by the sender. */
  latencyMs?: number;
}

/** Delays before attempts 2, 3, …: Svix's schedule (DESIGN §5); attempt 1 is immediate. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** A Retry-After longer than this is read as this: a receiver cannot park a delivery for weeks. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

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
  if (result.gone || result.refused || attempt >= maxAttempts) return null;
  const schedule = policy.scheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
  const base = schedule[Math.min(attempt - 1, schedule.length - 1)] ?? 0;
  const jitter = policy.jitter ?? 0.2;
  const spread = base * jitter * ((policy.random ?? Math.random)() * 2 - 1);
  return now + Math.max(Math.round(base + spread), Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/**
 * The attempts a delivery gets on a schedule: the immediate one plus one per delay.
 * @example attemptsFor(DEFAULT_RETRY_SCHEDULE_MS) // 8
 */
export const attemptsFor = (scheduleMs: readonly number[]) => scheduleMs.length + 1;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a retry schedule written as delays between attempts: `5s, 5m, 30m, 2h, 5h, 10h, 10h` (a bare number is
 * seconds). Throws `validation_failed` naming the entry that is wrong.
 * @example parseRetrySchedule('1s,2s,4s') // [1000, 2000, 4000]
 */
export function parseRetrySchedule(text: string, field = 'schedule'): number[] {
  const entries = text.split(',').map((e) => e.trim());
  return entries.map((entry, i) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(entry);
    const ms = m ? Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!) : NaN;
    if (!Number.isFinite(ms) || ms > 7 * UNIT_MS.d!) {
      throw new AetherError('validation_failed', `${field}: "${entry}" is not a delay such as 500ms, 5s, 5m, 2h (at most 7d)`, {
        errors: [{ field: `${field}[${i}]`, message: 'must be a delay such as 500ms, 5s, 5m or 2h, at most 7d' }],
      });
    }
    return ms;
  });
}
