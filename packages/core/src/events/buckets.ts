import { validationError } from '../errors.js';
import { emptySeverityCounts } from '../stores/shared.js';
import type { EventBucketCount, EventBucketQuery } from '../stores/types.js';
import { SEVERITIES, type Severity } from './envelope.js';
import { TIME_RANGE } from './limits.js';

// Counts of events per time bucket by severity, for charts: core plans whole buckets and shapes the answer; each
// store only counts rows in [from, from + bucketMs × count) grouped by bucket and severity.

/**
 * Most buckets one series may have: a day by the minute, with room for the partial bucket at each end.
 * @example planBuckets(60_000, now - 86_400_000, now).count // 1441
 */
export const MAX_BUCKETS = 1500;

/** The smallest bucket: one second. */
export const MIN_BUCKET_MS = 1000;

const BUCKET = /^(\d{1,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BUCKET_MESSAGE = 'must be a duration such as 30s, 1m, 5m, 1h or 1d';

/** One bucket of a series: when it starts and how many events of each severity have their `time` in it. */
export interface EventSeriesBucket extends Record<Severity, number> {
  start: string;
}

/** Events per bucket by severity, oldest bucket first, every bucket present (empty ones as zeros). */
export interface EventSeries {
  /** The bucket as asked, e.g. `1m`. */
  bucket: string;
  bucket_ms: number;
  /** Start of the first bucket: the bucket holding `since`. */
  since: string;
  /** End of the last bucket (exclusive): the bucket holding now. */
  until: string;
  buckets: EventSeriesBucket[];
}

/**
 * A bucket duration (`30s`, `1m`, `1h`, `1d`) as ms, at least one second; else `validation_failed` naming `bucket`.
 * @example parseBucket('5m') // 300_000
 */
export function parseBucket(value: string): number {
  const match = BUCKET.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms >= MIN_BUCKET_MS)) throw validationError([{ field: 'bucket', message: BUCKET_MESSAGE, in: 'query' }], 'the query is invalid');
  return ms;
}

/**
 * Whole buckets aligned to the epoch, from the one holding `sinceMs` to the one holding `now`; `validation_failed`
 * naming `since` when it is in the future, or `bucket` when the window needs more than `MAX_BUCKETS` of them.
 * @example planBuckets(60_000, Date.parse('2026-01-01T00:00:30Z'), Date.parse('2026-01-01T00:02:10Z')) // { from: …T00:00:00Z, bucketMs: 60_000, count: 3 }
 */
export function planBuckets(bucketMs: number, sinceMs: number, now: number): EventBucketQuery {
  if (sinceMs > now) throw validationError([{ field: 'since', message: 'must not be in the future', in: 'query' }], 'the query is invalid');
  const from = Math.floor(sinceMs / bucketMs) * bucketMs;
  const count = Math.floor(now / bucketMs) - Math.floor(sinceMs / bucketMs) + 1;
  if (count > MAX_BUCKETS) {
    throw validationError(
      [{ field: 'bucket', message: `gives ${count} buckets over this window; at most ${MAX_BUCKETS}: choose a longer bucket or a later since`, in: 'query' }],
      'the query is invalid',
    );
  }
  return { from, bucketMs, count };
}

/**
 * What every store checks before counting, so none is asked for an unbounded series: whole ms, a bucket of at
 * least `MIN_BUCKET_MS`, 1 to `MAX_BUCKETS` buckets, all inside `TIME_RANGE`. Throws `validation_failed`.
 * @example checkBucketQuery(q) // then run the GROUP BY
 */
export function checkBucketQuery(q: EventBucketQuery): void {
  const problems: { field: string; message: string }[] = [];
  if (!Number.isSafeInteger(q.bucketMs) || q.bucketMs < MIN_BUCKET_MS) problems.push({ field: 'bucketMs', message: `must be a whole number of ms, at least ${MIN_BUCKET_MS}` });
  if (!Number.isSafeInteger(q.count) || q.count < 1 || q.count > MAX_BUCKETS) problems.push({ field: 'count', message: `must be a whole number from 1 to ${MAX_BUCKETS}` });
  if (!Number.isSafeInteger(q.from) || q.from < TIME_RANGE.min || q.from + q.bucketMs * q.count > TIME_RANGE.max + 1) {
    problems.push({ field: 'from', message: 'must be whole ms with every bucket inside 0001-01-01 to 9999-12-31 (UTC)' });
  }
  if (problems.length) throw validationError(problems, 'the bucket query is invalid');
}

/**
 * Which bucket of a plan an event time (epoch ms) falls in, or -1 outside it: the one arithmetic every store's
 * GROUP BY reproduces.
 * @example bucketIndex({ from: 0, bucketMs: 60_000, count: 3 }, 61_000) // 1
 */
export function bucketIndex(q: EventBucketQuery, timeMs: number): number {
  if (!(timeMs >= q.from)) return -1;
  const index = Math.floor((timeMs - q.from) / q.bucketMs);
  return index < q.count ? index : -1;
}

/**
 * The series of a plan from a store's sparse counts: every bucket, oldest first, zeros where nothing happened.
 * @example seriesFrom('1m', plan, await store.countBuckets(plan))
 */
export function seriesFrom(bucket: string, q: EventBucketQuery, counts: readonly EventBucketCount[]): EventSeries {
  const buckets: EventSeriesBucket[] = Array.from({ length: q.count }, (_, i) => ({ start: new Date(q.from + i * q.bucketMs).toISOString(), ...emptySeverityCounts() }));
  for (const { bucket: i, severity, n } of counts) {
    const row = buckets[i];
    if (row && (SEVERITIES as readonly string[]).includes(severity)) row[severity] += n;
  }
  return { bucket, bucket_ms: q.bucketMs, since: new Date(q.from).toISOString(), until: new Date(q.from + q.count * q.bucketMs).toISOString(), buckets };
}
