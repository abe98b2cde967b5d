import { checkBucketQuery, type EventBucketCount, type EventBucketQuery } from '@aetherlink/core';
import { guarded, type SqliteDatabase } from './database.js';

// CASTs keep the division integral whichever way the driver binds a JS number.
export const BUCKETS_SQL = `
  SELECT (time_ms - CAST(@from AS INTEGER)) / CAST(@bucket AS INTEGER) AS bucket, severity, count(*) AS n
  FROM events
  WHERE time_ms >= CAST(@from AS INTEGER) AND time_ms < CAST(@until AS INTEGER)
  GROUP BY bucket, severity`;

/**
 * Event counts per time bucket and severity: one GROUP BY over a range of the `(time_ms, severity)` index, so
 * only the index entries of the window are read. Integer division groups as `bucketIndex` does in core.
 * @example const countBuckets = sqliteEventBuckets(db); await countBuckets({ from, bucketMs: 60_000, count: 60 })
 */
export function sqliteEventBuckets(db: SqliteDatabase): (q: EventBucketQuery) => Promise<EventBucketCount[]> {
  const select = db.prepare(BUCKETS_SQL);
  return async (q) => {
    checkBucketQuery(q);
    return guarded(() => select.all({ from: q.from, bucket: q.bucketMs, until: q.from + q.bucketMs * q.count }) as EventBucketCount[]);
  };
}
