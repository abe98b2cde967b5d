import type { BackoffPolicy, HealPolicy } from './types.js';

// The arithmetic of the restart policy. Pure: time and randomness come in as arguments.

/**
 * How long to wait after `attempts` restarts in a streak before the next one: `initialMs × factor^(attempts−1)`
 * capped at `maxMs`, then ± `jitter` of it from `random()`. No wait before the first restart.
 * @example backoffDelay(3, DEFAULT_POLICY.backoff, () => 0.5) // 40 000
 */
export function backoffDelay(attempts: number, backoff: BackoffPolicy, random: () => number): number {
  if (attempts <= 0) return 0;
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (attempts - 1));
  const spread = base * backoff.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}

/**
 * The last `window` liveness results, oldest first, with one more: `P` passed, `F` failed. A steady run holds no
 * change of state, so it is kept as one result: a steady service's stored state then stops changing round to round.
 * @example pushResult('PPF', false, 21) // 'PPFF'
 */
export function pushResult(results: string, pass: boolean, window: number): string {
  const result = pass ? 'P' : 'F';
  if (results.length > 0 && !results.includes(pass ? 'F' : 'P')) return result;
  const next = results + result;
  return next.length > window ? next.slice(next.length - window) : next;
}

/**
 * The share of state changes among the last results: changes over the `window − 1` a full window can hold, so a
 * short history never looks like flapping.
 * @example changeRate('PFPFPF', 21) // 0.25
 */
export function changeRate(results: string, window: number): number {
  let changes = 0;
  for (let i = 1; i < results.length; i++) if (results[i] !== results[i - 1]) changes++;
  return window <= 1 ? 0 : changes / (window - 1);
}

/**
 * Flapping with hysteresis: it starts at `high` and stops only once the rate falls to `low`, so a service near one
 * threshold does not toggle in and out.
 * @example isFlapping(false, 0.55, { window: 21, high: 0.5, low: 0.3 }) // true
 */
export function isFlapping(was: boolean, rate: number, flapping: HealPolicy['flapping']): boolean {
  return was ? rate > flapping.low : rate >= flapping.high;
}

/**
 * The times (ISO) that fall within `windowMs` before `now`.
 * @example within(['2026-01-01T00:00:00.000Z'], Date.parse('2026-01-01T00:05:00Z'), 600_000) // that one
 */
export function within(times: readonly string[], now: number, windowMs: number): string[] {
  return times.filter((t) => now - Date.parse(t) < windowMs);
}

/** ISO time of an epoch millisecond. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** Epoch milliseconds of an ISO time, or null. */
export const msOf = (time: string | null | undefined): number | null => (time ? Date.parse(time) : null);

/**
 * A duration for people: `900 ms`, `12 s`, `5 min`, `2 h`.
 * @example human(90_000) // '90 s'
 */
export function human(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 6000) / 10} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
