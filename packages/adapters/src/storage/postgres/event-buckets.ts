import { checkBucketQuery, type EventBucketCount, type EventBucketQuery, type Severity } from '@aetherlink/core';
import type { Database } from './pool.js';
import { int } from './rows.js';

/** The GROUP BY of `postgresEventBuckets` over a (schema-qualified) events table; `$1` from, `$2` bucket ms, `$3`–`$4` the window. */
export const bucketsSql = (events: string) => `
  SELECT floor((extract(epoch FROM time) * 1000 - $1::bigint) / $2::bigint)::bigint AS bucket, severity, count(*) AS n
  FROM ${events}
  WHERE time >= $3::timestamptz AND time < $4::timestamptz
  GROUP BY 1, 2`;

/**
 * Event counts per time bucket and severity: one GROUP BY over a range of the `(time, severity)` index (an
 * index-only scan of the window). `extract(epoch …)` is numeric, so the bucket arithmetic is exact and matches
 * `bucketIndex` in core to the millisecond.
 * @example const countBuckets = postgresEventBuckets(db); await countBuckets({ from, bucketMs: 60_000, count: 60 })
 */
export function postgresEventBuckets(db: Database): (q: EventBucketQuery) => Promise<EventBucketCount[]> {
  const sql = bucketsSql(db.t('events'));
  return async (q) => {
    checkBucketQuery(q);
    const until = q.from + q.bucketMs * q.count;
    const { rows } = await db.query<{ bucket: string; severity: Severity; n: string }>(sql, [
      q.from,
      q.bucketMs,
      new Date(q.from).toISOString(),
      new Date(until).toISOString(),
    ]);
    return rows.map((r) => ({ bucket: int(r.bucket), severity: r.severity, n: int(r.n) }));
  };
}
