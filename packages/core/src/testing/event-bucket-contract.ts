import { expect, it } from 'vitest';
import { MAX_BUCKETS } from '../events/buckets.js';
import type { Severity } from '../events/envelope.js';
import type { EventBucketCount, EventBucketQuery, EventStore } from '../stores/types.js';
import { makeEvent } from './event-store-contract.js';
import { rejection } from './helpers.js';

const RECEIVED = '2026-01-01T00:00:01.000Z';
const MIN = 60_000;
const FROM = Date.parse('2026-03-01T12:00:00.000Z');

const sorted = (rows: EventBucketCount[]) => [...rows].sort((a, b) => a.bucket - b.bucket || a.severity.localeCompare(b.severity));

/**
 * The bucket counting part of the EventStore contract (`countBuckets`), run inside `describeEventStoreContract`:
 * memory, SQLite and PostgreSQL give the same counts to the millisecond.
 * @example describeEventBucketContract(() => store)
 */
export function describeEventBucketContract(store: () => EventStore): void {
  const at = async (ms: number, severity: Severity = 'info', time = new Date(ms).toISOString()) => {
    await store().append(makeEvent({ time, severity }), RECEIVED);
  };

  it('counts events per bucket and severity, each bucket [start, start + length), nothing outside the window', async () => {
    const q: EventBucketQuery = { from: FROM, bucketMs: MIN, count: 3 };
    await at(FROM - 1, 'critical'); // before the window
    await at(FROM, 'error'); // first ms of bucket 0
    await at(FROM + MIN - 1, 'error'); // last ms of bucket 0
    await at(FROM + 30_000, 'info');
    await at(FROM + MIN, 'warning'); // first ms of bucket 1
    await at(FROM + 2 * MIN + 59_999, 'critical'); // last ms of bucket 2
    await at(FROM + 3 * MIN, 'critical'); // the window's end is exclusive
    expect(sorted(await store().countBuckets(q))).toEqual([
      { bucket: 0, severity: 'error', n: 2 },
      { bucket: 0, severity: 'info', n: 1 },
      { bucket: 1, severity: 'warning', n: 1 },
      { bucket: 2, severity: 'critical', n: 1 },
    ]);
  });

  it('reads event times with an offset, and without one as UTC, when bucketing', async () => {
    await at(0, 'info', '2026-03-01T14:00:30+02:00'); // 12:00:30Z, bucket 0
    await at(0, 'info', '2026-03-01T12:01:00'); // 12:01:00Z, bucket 1
    await at(0, 'error', '2026-03-01T12:01:59.999Z');
    expect(sorted(await store().countBuckets({ from: FROM, bucketMs: MIN, count: 2 }))).toEqual([
      { bucket: 0, severity: 'info', n: 1 },
      { bucket: 1, severity: 'error', n: 1 },
      { bucket: 1, severity: 'info', n: 1 },
    ]);
  });

  it('counts many events in long buckets, and answers an empty window with no rows', async () => {
    const day = 86_400_000;
    for (let i = 0; i < 30; i++) await at(FROM + (i % 3) * day + i * 1000, i % 2 ? 'warning' : 'info');
    expect(sorted(await store().countBuckets({ from: FROM, bucketMs: day, count: 3 }))).toEqual([
      { bucket: 0, severity: 'info', n: 5 },
      { bucket: 0, severity: 'warning', n: 5 },
      { bucket: 1, severity: 'info', n: 5 },
      { bucket: 1, severity: 'warning', n: 5 },
      { bucket: 2, severity: 'info', n: 5 },
      { bucket: 2, severity: 'warning', n: 5 },
    ]);
    expect(await store().countBuckets({ from: FROM - 10 * day, bucketMs: day, count: 5 })).toEqual([]);
  });

  it('refuses an unbounded or malformed bucket query, naming the field', async () => {
    const field = async (q: EventBucketQuery) => (await rejection(store().countBuckets(q))).errors?.map((e) => e.field);
    expect(await field({ from: FROM, bucketMs: MIN, count: MAX_BUCKETS + 1 })).toEqual(['count']);
    expect(await field({ from: FROM, bucketMs: 10, count: 3 })).toEqual(['bucketMs']);
    expect(await field({ from: FROM + 0.5, bucketMs: MIN, count: 3 })).toEqual(['from']);
    expect(await field({ from: Date.parse('9999-12-31T23:59:00Z'), bucketMs: MIN, count: 2 })).toEqual(['from']);
  });
}
